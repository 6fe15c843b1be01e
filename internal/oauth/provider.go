// Package oauth is the OAuth 2.0 / OpenID Connect provider: "Sign in with
// <this app>" for third-party clients. One file per endpoint and per grant;
// the provider signs with the instance keyring and reads sessions and users
// through their services.
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// Settings are the provider's options.
type Settings struct {
	Issuer              string // the public URL, exactly
	AccessTokenTTL      time.Duration
	RefreshTokenTTL     time.Duration
	CodeTTL             time.Duration
	RefreshGrace        time.Duration // a spent refresh token still works this long, for concurrent refreshes
	DynamicRegistration bool
	ConfirmKey          []byte // keys the sign-out confirmation form to the browser
	// OpaqueAccessTokens issues random tokens stored as hashes instead of
	// JWTs: revocable at once everywhere, at the cost of a write per token.
	OpaqueAccessTokens bool
}

// Store is what the provider needs from storage.
type Store interface {
	InsertOAuthApp(ctx context.Context, a store.OAuthApp) error
	GetOAuthApp(ctx context.Context, id string) (store.OAuthApp, error)
	OAuthAppByClientID(ctx context.Context, clientID string) (store.OAuthApp, error)
	ListOAuthApps(ctx context.Context, limit, offset int) ([]store.OAuthApp, int64, error)
	UpdateOAuthApp(ctx context.Context, id string, fn func(*store.OAuthApp) error) (store.OAuthApp, error)
	DeleteOAuthApp(ctx context.Context, id string) error
	Consent(ctx context.Context, userID, appID string) (string, error)
	SaveConsent(ctx context.Context, userID, appID, scopes string, at time.Time) error
	RevokeConsent(ctx context.Context, userID, appID string, at time.Time) error
	ConnectedApps(ctx context.Context, userID string) ([]store.ConnectedApp, error)
	InsertOAuthCode(ctx context.Context, c store.OAuthCode) error
	RedeemOAuthCode(ctx context.Context, codeHash []byte, r store.Redemption) (store.OAuthCode, store.User, error)
	RevokeGrant(ctx context.Context, grantID string, at time.Time) error
	RotateRefreshToken(ctx context.Context, r store.Rotation) (store.RefreshToken, store.User, bool, error)
	RefreshTokenByHash(ctx context.Context, hash []byte) (store.RefreshToken, error)
	InsertRefreshToken(ctx context.Context, rt store.RefreshToken) error
	TokenRevoked(ctx context.Context, jti, grantID, clientID string) (bool, error)
	UserForAccessToken(ctx context.Context, userID, jti, grantID, clientID string) (store.User, bool, error)
	AppWithTokenState(ctx context.Context, clientID, jti, grantID string) (store.OAuthApp, bool, error)
	RevokeJTI(ctx context.Context, jti string, expires time.Time) error
	InsertOpaqueAccessToken(ctx context.Context, t store.OpaqueAccessToken) error
	LiveOpaqueAccessToken(ctx context.Context, hash []byte, now time.Time) (store.OpaqueAccessToken, error)
	Listen(ctx context.Context, channel string, live func(bool), onNotify func(payload string)) error
}

// Provider is the OAuth 2.0 / OIDC provider.
type Provider struct {
	store    Store
	keyring  *keys.Keyring
	users    *identity.Service
	sessions *session.Service
	settings Settings
	now      func() time.Time
	apps     *appCache // applications by client_id, kept in step by Run
	// Discovery documents are built once: serving them is a memcpy.
	discovery, asMetadata []byte
}

// New builds the provider.
func New(s Store, k *keys.Keyring, users *identity.Service, sessions *session.Service, settings Settings, now func() time.Time) *Provider {
	if settings.AccessTokenTTL <= 0 {
		settings.AccessTokenTTL = 2 * time.Hour
	}
	if settings.RefreshTokenTTL <= 0 {
		settings.RefreshTokenTTL = 72 * time.Hour
	}
	if settings.CodeTTL <= 0 {
		settings.CodeTTL = 10 * time.Minute
	}
	p := &Provider{store: s, keyring: k, users: users, sessions: sessions, settings: settings, now: now,
		apps: newAppCache(now)}
	p.discovery, p.asMetadata = p.buildDiscovery()
	return p
}

// Settings returns the provider's options.
func (p *Provider) Settings() Settings { return p.settings }

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("oauth: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is the stored form of codes, refresh tokens and client secrets:
// all carry 256 random bits, so SHA-256 is enough and keeps checks cheap.
func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
