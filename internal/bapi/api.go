// Package bapi serves the Backend API on the admin listener: Clerk's paths,
// field names and error envelope, authenticated with secret keys. Handlers
// decode, call the domain, and encode; the rules live in the domain packages.
package bapi

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/social/redirecturls"
	"github.com/latchkey/latchkey/internal/social/wallet"
)

// KeyVerifier checks a presented secret key.
type KeyVerifier interface {
	Verify(ctx context.Context, presented string) (bool, error)
}

// API is the Backend API.
type API struct {
	Users      *identity.Service
	Sessions   *session.Service
	OAuth      *oauth.Provider
	SecretKeys KeyVerifier
	Keyring    *keys.Keyring
	// Social connections: the native-app redirect allowlist.
	RedirectURLs *redirecturls.Service
	// The token wallet: upstream provider tokens of users' external accounts.
	Wallet *wallet.Service
	// Restrictions: the allowlist, blocklist and restriction switches.
	Restrictions *identity.Restrictions
	Invitations  *identity.Invitations
	// Passkeys: an operator removes a user's passkey.
	Passkeys PasskeyDeleter
	// Multi-factor authentication: resets and code checks.
	MFA *mfa.Service
}

// Routes mounts every Backend API route on r (which the server mounts at /v1).
func (a *API) Routes(r chi.Router) {
	r.Use(a.requireSecretKey, storablePath)
	h := httpx.Adapt
	r.Get("/jwks", h(a.jwks))

	r.Get("/users", h(a.listUsers))
	r.Post("/users", h(a.createUser))
	r.Get("/users/count", h(a.countUsers))
	r.Get("/users/{userID}", h(a.getUser))
	r.Patch("/users/{userID}", h(a.updateUser))
	r.Delete("/users/{userID}", h(a.deleteUser))
	r.Patch("/users/{userID}/metadata", h(a.mergeMetadata))
	r.Post("/users/{userID}/ban", h(a.userAction(a.Users.Ban)))
	r.Post("/users/{userID}/unban", h(a.userAction(a.Users.Unban)))
	r.Post("/users/{userID}/lock", h(a.userAction(a.Users.Lock)))
	r.Post("/users/{userID}/unlock", h(a.userAction(a.unlock))) // users_mfa.go
	r.Post("/users/{userID}/verify_password", h(a.verifyPassword))
	r.Delete("/users/{userID}/web3_wallets/{id}", h(a.deleteUserWeb3Wallet))
	r.Delete("/users/{userID}/passkeys/{passkeyID}", h(a.deletePasskey))
	a.mfaRoutes(r)

	r.Get("/sessions", h(a.listSessions))
	r.Get("/sessions/{id}", h(a.getSession))
	r.Post("/sessions/{id}/revoke", h(a.revokeSession))
	r.Post("/sessions/{id}/tokens", h(a.createSessionToken))
	r.Get("/clients/{id}", h(a.getClient))
	r.Post("/clients/verify", h(a.verifyClient))

	a.oauthRoutes(r)
	a.redirectURLRoutes(r)
	a.walletRoutes(r)
	a.restrictionRoutes(r)
	a.invitationRoutes(r)

	r.Post("/email_addresses", h(a.createIdentification(emailType)))
	r.Get("/email_addresses/{id}", h(a.getIdentification(emailType)))
	r.Patch("/email_addresses/{id}", h(a.updateIdentification(emailType)))
	r.Delete("/email_addresses/{id}", h(a.deleteIdentification(emailType)))
	r.Post("/phone_numbers", h(a.createIdentification(phoneType)))
	r.Get("/phone_numbers/{id}", h(a.getIdentification(phoneType)))
	r.Patch("/phone_numbers/{id}", h(a.updateIdentification(phoneType)))
	r.Delete("/phone_numbers/{id}", h(a.deleteIdentification(phoneType)))
}

// requireSecretKey admits requests bearing an active secret key.
func (a *API) requireSecretKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			httpx.WriteError(w, r, apperr.Unauthenticated(
				"The request has no Authorization header. Send \"Authorization: Bearer sk_...\" with a secret key."))
			return
		}
		valid, err := a.SecretKeys.Verify(r.Context(), strings.TrimSpace(token))
		if err != nil {
			httpx.WriteError(w, r, apperr.Internal(err, "verify secret key"))
			return
		}
		if !valid {
			httpx.WriteError(w, r, apperr.Unauthenticated(
				"The secret key is invalid or has been revoked. Check the key and try again."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// storablePath answers 404 for a path holding a NUL byte or invalid UTF-8
// once percent-decoded: no id contains one, and Postgres text cannot even
// hold one, so such an id must not reach a query.
func storablePath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.IndexByte(p, 0) >= 0 || !utf8.ValidString(p) {
			httpx.WriteError(w, r, apperr.NotFound())
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *API) jwks(w http.ResponseWriter, r *http.Request) error {
	return httpx.WriteRawJSON(w, http.StatusOK, a.Keyring.JWKS())
}
