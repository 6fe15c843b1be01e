// Package session owns clients (browsers and app installs), sessions and
// their lifetimes, and the short-lived session JWTs applications verify.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// Settings are the instance's session options.
type Settings struct {
	Issuer            string        // the public URL; the iss of every token
	MaxLifetime       time.Duration // 0: off
	InactivityTimeout time.Duration // 0: off
	MultiSession      bool
	TokenTTL          time.Duration // session JWT lifetime, 60 s
	ClientTTL         time.Duration // __client cookie lifetime
}

// Store is what sessions need from storage.
type Store interface {
	InsertClient(ctx context.Context, c store.Client) error
	ClientByTokenHash(ctx context.Context, hash []byte) (store.Client, error)
	GetClient(ctx context.Context, id string) (store.Client, error)
	UpdateClient(ctx context.Context, id string, fn func(*store.Client) error) (store.Client, error)
	DeleteClient(ctx context.Context, id string) error
	GetSession(ctx context.Context, id string) (store.Session, error)
	SessionsByClient(ctx context.Context, clientID string) ([]store.Session, error)
	ListSessions(ctx context.Context, f store.SessionFilter) ([]store.Session, error)
	UpdateSession(ctx context.Context, id string, fn func(*store.Session) error) (store.Session, error)
	EndClientSessions(ctx context.Context, clientID, status string, at time.Time) (int64, error)
	TouchSession(ctx context.Context, id string, at, notAfter time.Time) error
	ActiveSessionOfClient(ctx context.Context, tokenHash []byte, now time.Time) (store.Session, error)
}

// Service manages clients and sessions.
type Service struct {
	store    Store
	keyring  *keys.Keyring
	settings Settings
	now      func() time.Time
	header   atomic.Pointer[jwtHeader] // the current signing key's encoded JWT header
}

// NewService wires the session service.
func NewService(s Store, k *keys.Keyring, settings Settings, now func() time.Time) *Service {
	if settings.TokenTTL <= 0 {
		settings.TokenTTL = time.Minute
	}
	if settings.ClientTTL <= 0 {
		settings.ClientTTL = 365 * 24 * time.Hour
	}
	return &Service{store: s, keyring: k, settings: settings, now: now}
}

// Settings returns the session options in force.
func (s *Service) Settings() Settings { return s.settings }

// Now is the service clock.
func (s *Service) Now() time.Time { return s.now() }

// NewClient creates a client and returns the token for its cookie. The token
// has 256 random bits; only its SHA-256 is stored.
func (s *Service) NewClient(ctx context.Context) (token string, c store.Client, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", store.Client{}, err
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	c = store.Client{ID: ids.New(ids.Client), TokenHash: HashToken(token), CreatedAt: now, UpdatedAt: now,
		ExpiresAt: now.Add(s.settings.ClientTTL)}
	if err := s.store.InsertClient(ctx, c); err != nil {
		return "", store.Client{}, apperr.Internal(err, "insert client")
	}
	return token, c, nil
}

// HashToken is how client tokens are stored and looked up.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ResolveClient finds the client a token belongs to; ok is false for an
// unknown or expired token.
func (s *Service) ResolveClient(ctx context.Context, token string) (c store.Client, ok bool, err error) {
	if token == "" || len(token) > 128 {
		return store.Client{}, false, nil
	}
	c, err = s.store.ClientByTokenHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return store.Client{}, false, nil
	}
	if err != nil {
		return store.Client{}, false, apperr.Internal(err, "resolve client")
	}
	if !c.ExpiresAt.After(s.now()) {
		return store.Client{}, false, nil
	}
	return c, true, nil
}

// GetClient loads a client by id.
func (s *Service) GetClient(ctx context.Context, id string) (store.Client, error) {
	c, err := s.store.GetClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, apperr.NotFound()
	}
	return c, err
}

// NewSession builds (does not store) a session for userID on clientID; the
// sign-in or sign-up that completes stores it in its own transaction.
func (s *Service) NewSession(clientID, userID, strategy string) store.Session {
	now := s.now()
	expire := now.Add(100 * 365 * 24 * time.Hour) // "no maximum lifetime"
	if s.settings.MaxLifetime > 0 {
		expire = now.Add(s.settings.MaxLifetime)
	}
	return store.Session{
		ID: ids.New(ids.Session), ClientID: clientID, UserID: userID, Status: StatusActive,
		ExpireAt: expire, LastActiveAt: now, FirstFactorVerifiedAt: now, AuthenticationStrategy: &strategy,
		CreatedAt: now, UpdatedAt: now,
	}
}

// ActiveSession returns the session the browser holding token is signed in
// with, if it is active now: one round trip for the OAuth provider's hot path.
func (s *Service) ActiveSession(ctx context.Context, token string) (store.Session, bool) {
	if token == "" || len(token) > 128 {
		return store.Session{}, false
	}
	sess, err := s.store.ActiveSessionOfClient(ctx, HashToken(token), s.now())
	if err != nil || s.Status(sess) != StatusActive {
		return store.Session{}, false
	}
	return sess, true
}
