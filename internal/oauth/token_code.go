package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// grantAuthorizationCode redeems a code. Redeeming is one statement (the
// code is spent and its grant and refresh token created together), so of
// many concurrent redemptions exactly one wins; a second redemption revokes
// everything the first produced.
func (p *Provider) grantAuthorizationCode(r *http.Request, app store.OAuthApp, form url.Values) (*issued, *Error) {
	code, verifier := form.Get("code"), form.Get("code_verifier")
	if code == "" {
		return nil, errInvalidRequest("code is required.")
	}
	if verifier != "" && !pkceRe.MatchString(verifier) {
		return nil, errInvalidGrant("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~].")
	}
	now := p.now()
	grantID := ids.New(ids.OAuthGrant)
	refresh := randomToken()
	red := store.Redemption{GrantID: grantID, RefreshTokenHash: hashToken(refresh),
		RefreshExpiresAt: now.Add(p.settings.RefreshTokenTTL), Now: now}
	c, u, err := p.store.RedeemOAuthCode(r.Context(), hashToken(code), red)
	switch {
	case errors.Is(err, store.ErrCodeReused):
		return nil, errInvalidGrant("The code has already been used; the tokens issued for it are revoked.")
	case errors.Is(err, store.ErrNotFound):
		return nil, errInvalidGrant("The code is invalid.")
	case err != nil:
		return nil, errServer(r.Context(), err)
	}
	// Checks after spending: a code presented with the wrong client,
	// redirect URI or verifier is burnt, and what it granted is revoked.
	fail := func(e *Error) (*issued, *Error) {
		_ = p.store.RevokeGrant(r.Context(), grantID, now)
		return nil, e
	}
	switch {
	case c.ApplicationID != app.ID:
		return fail(errInvalidGrant("The code was issued to another client."))
	case !c.ExpiresAt.After(now):
		return fail(errInvalidGrant("The code has expired."))
	case !redirectMatches(form.Get("redirect_uri"), c.RedirectURI, app):
		return fail(errInvalidGrant("redirect_uri does not match the authorization request."))
	case c.CodeChallenge == nil && verifier != "":
		return fail(errInvalidGrant("code_verifier sent for a request without code_challenge."))
	case c.CodeChallenge != nil && !verifierMatches(verifier, *c.CodeChallenge):
		return fail(errInvalidGrant("code_verifier does not match the code_challenge."))
	}
	if u.Banned {
		return fail(errInvalidGrant("The user is no longer allowed to sign in."))
	}
	out := &issued{TokenType: "Bearer", ExpiresIn: int64(p.settings.AccessTokenTTL.Seconds()), Scope: c.Scopes}
	if out.AccessToken, err = p.accessToken(r.Context(), app, u.ID, c.Scopes, grantID, now); err != nil {
		return nil, errServer(r.Context(), err)
	}
	if hasScope(c.Scopes, "offline_access") {
		out.RefreshToken = refresh
	}
	if hasScope(c.Scopes, "openid") {
		nonce := ""
		if c.Nonce != nil {
			nonce = *c.Nonce
		}
		if out.IDToken, err = p.idToken(app, u, c.Scopes, nonce, c.AuthTime, now); err != nil {
			return nil, errServer(r.Context(), err)
		}
	}
	return out, nil
}

// redirectMatches applies RFC 6749 §4.1.3: a redirect_uri that was in the
// authorization request must be repeated exactly; when it was left out (the
// one registered URI was used), it may be left out here too, or name that URI.
func redirectMatches(presented, requested string, app store.OAuthApp) bool {
	if requested != "" {
		return presented == requested
	}
	return presented == "" || len(app.RedirectURIs) == 1 && presented == app.RedirectURIs[0]
}

// verifierMatches checks S256: BASE64URL(SHA256(verifier)) == challenge.
func verifierMatches(verifier, challenge string) bool {
	if verifier == "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
