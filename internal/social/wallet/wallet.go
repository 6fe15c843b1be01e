// Package wallet is the token wallet: it hands a backend the upstream
// provider tokens of a user's external accounts (GET
// /v1/users/{id}/oauth_access_tokens/{provider}), refreshing an access token
// that has expired or is about to, and keeps them fresh in the background
// when asked to.
//
// Every refresh happens under the account's row lock in Postgres, in the
// transaction that saves its result (a rotated refresh token included), so
// concurrent requests on any number of replicas cause one upstream refresh:
// the others wait for the lock and find the new token. A provider that
// refuses a refresh with invalid_grant (the user revoked the grant) marks the
// account as needing re-authorization, and the wallet answers for it with a
// clear error rather than a stale token.
package wallet

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// Providers gives the OAuth 2.0 client configuration (token URL, client id
// and secret) of a configured provider, by strategy (oauth_google, ...).
type Providers interface {
	OAuth2Config(provider string) (*oauth2.Config, bool)
}

// Store is what the wallet needs from the database.
type Store interface {
	UserExternalAccountsByProvider(ctx context.Context, userID, provider string) ([]store.ExternalAccount, error)
	ChangeExternalAccountTokens(ctx context.Context, id string, change store.TokenChange) (store.ExternalAccount, error)
	ChangeDueExternalAccountTokens(ctx context.Context, due time.Time, skip []string, change store.TokenChange) (store.ExternalAccount, bool, error)
	DeleteUserExternalAccount(ctx context.Context, userID, id string) error
}

// Settings tune the wallet.
type Settings struct {
	// RefreshMargin: a token expiring within it is refreshed before it is
	// handed out, so the caller gets one that lasts at least that long.
	RefreshMargin time.Duration
	// HTTPClient calls the providers' token endpoints (a 15s timeout if nil).
	HTTPClient *http.Client
}

// Service is the wallet.
type Service struct {
	db        Store
	box       *keys.Box
	providers atomic.Pointer[Providers]
	settings  Settings
	now       func() time.Time
}

// New returns the wallet; providers may be nil until UseProviders is called.
func New(db Store, box *keys.Box, providers Providers, settings Settings, now func() time.Time) *Service {
	if settings.HTTPClient == nil {
		settings.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	s := &Service{db: db, box: box, settings: settings, now: now}
	if providers != nil {
		s.UseProviders(providers)
	}
	return s
}

// UseProviders sets where the wallet finds the providers' configurations.
func (s *Service) UseProviders(p Providers) { s.providers.Store(&p) }

func (s *Service) oauth2Config(provider string) (*oauth2.Config, bool) {
	p := s.providers.Load()
	if p == nil || *p == nil {
		return nil, false
	}
	return (*p).OAuth2Config(provider)
}

// Token is one account's current upstream tokens, in clear.
type Token struct {
	Account     store.ExternalAccount
	AccessToken string
	IDToken     string
}

// Page selects part of a user's accounts at a provider.
type Page struct{ Limit, Offset int }

// AccessTokens returns the current tokens of the user's accounts at the
// provider (a strategy such as oauth_google), refreshing those that have
// expired or expire within the margin, and the number of accounts in all.
// An unknown user is NotFound; a user without such an account gets none.
func (s *Service) AccessTokens(ctx context.Context, userID, provider string, page Page) ([]Token, int, error) {
	accounts, err := s.db.UserExternalAccountsByProvider(ctx, userID, provider)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, apperr.NotFound()
	}
	if err != nil {
		return nil, 0, apperr.Internal(err, "list external accounts")
	}
	total := len(accounts)
	accounts = accounts[min(page.Offset, total):]
	accounts = accounts[:min(page.Limit, len(accounts))]
	out := make([]Token, 0, len(accounts))
	for _, a := range accounts {
		if s.due(a, s.settings.RefreshMargin) {
			if a, err = s.refreshNow(ctx, a); err != nil {
				return nil, 0, err
			}
		}
		if a.NeedsReauthorization {
			return nil, 0, needsReauthorization(a)
		}
		if a.AccessTokenEnc == nil {
			continue // nothing to hand out (the provider gave no access token)
		}
		t, err := s.open(a)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, nil
}

// due reports whether a's access token expires within margin and could be
// refreshed.
func (s *Service) due(a store.ExternalAccount, margin time.Duration) bool {
	return !a.NeedsReauthorization && a.RefreshTokenEnc != nil && a.TokenExpiresAt != nil &&
		!a.TokenExpiresAt.After(s.now().Add(margin))
}

// refreshNow refreshes a under its row lock, unless another request did
// while this one waited. An upstream failure other than a refusal leaves
// the token as it is: still served if it has not expired yet.
func (s *Service) refreshNow(ctx context.Context, a store.ExternalAccount) (store.ExternalAccount, error) {
	fresh, err := s.db.ChangeExternalAccountTokens(ctx, a.ID, s.refreshChange(ctx, s.settings.RefreshMargin))
	var up *upstreamError
	switch {
	case err == nil:
		return fresh, nil
	case errors.Is(err, store.ErrNotFound):
		return a, apperr.NotFound() // deleted meanwhile
	case errors.As(err, &up):
		if a.TokenExpiresAt != nil && a.TokenExpiresAt.After(s.now()) {
			return a, nil
		}
		return a, up.apperr(a)
	default:
		return a, apperr.Internal(err, "refresh external account %s", a.ID)
	}
}

// Delete removes one of the user's external accounts.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	err := s.db.DeleteUserExternalAccount(ctx, userID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apperr.NotFound()
	case err != nil:
		return apperr.Internal(err, "delete external account")
	}
	return nil
}

// needsReauthorization is the wallet's answer for an account whose grant
// the provider no longer honours.
func needsReauthorization(a store.ExternalAccount) error {
	return apperr.New(apperr.KindInvalid, "oauth_token_retrieval_error",
		"The user must connect this account again",
		"The provider refused to refresh the access token of external account "+a.ID+" ("+a.Provider+
			"), so it needs re-authorization: the user must connect the account again. Reason: "+
			a.ReauthorizationReason).
		WithMeta("external_account_id", a.ID).WithMeta("needs_reauthorization", true)
}

// NormalizeProvider accepts a provider as Clerk does: oauth_google or google.
func NormalizeProvider(p string) string {
	if strings.HasPrefix(p, "oauth_") {
		return p
	}
	return "oauth_" + p
}
