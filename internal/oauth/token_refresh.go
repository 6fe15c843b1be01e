package oauth

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// grantRefreshToken rotates a refresh token: every use returns a new one and
// spends the old. A spent token presented again revokes the whole grant
// (someone else has a copy), except within the configured grace window,
// where a concurrent refresh gets a sibling token in the same grant.
//
// The usual refresh is one statement: a conditional update that spends the
// token, stores its successor and returns the user, and only one caller can
// win. Only when it does not apply is the token read, to say why.
func (p *Provider) grantRefreshToken(r *http.Request, app store.OAuthApp, form url.Values) (*issued, *Error) {
	presented := form.Get("refresh_token")
	if presented == "" {
		return nil, errInvalidRequest("refresh_token is required.")
	}
	ctx, now := r.Context(), p.now()
	hash := hashToken(presented)
	asked := ""
	if s := form.Get("scope"); s != "" {
		asked = joinScopes(splitScopes(s))
	}
	next := randomToken()
	expires := now.Add(p.settings.RefreshTokenTTL)
	rt, u, ok, err := p.store.RotateRefreshToken(ctx, store.Rotation{Hash: hash, NewHash: hashToken(next),
		ApplicationID: app.ID, Scopes: asked, Now: now, Expires: expires})
	if err != nil {
		return nil, errServer(r.Context(), err)
	}
	if ok {
		return p.refreshed(r, app, rt, &u, scopesOr(asked, rt.Scopes), next)
	}

	rt, err = p.store.RefreshTokenByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errInvalidGrant("The refresh token is invalid.")
	case err != nil:
		return nil, errServer(r.Context(), err)
	case rt.ApplicationID != app.ID:
		return nil, errInvalidGrant("The refresh token was issued to another client.")
	case rt.GrantRevoked:
		return nil, errInvalidGrant("The refresh token has been revoked.")
	case !rt.ExpiresAt.After(now):
		return nil, errInvalidGrant("The refresh token has expired.")
	case asked != "" && !subset(asked, rt.Scopes):
		return nil, errInvalidScope("A refresh can only keep or narrow the granted scopes.")
	case rt.UsedAt == nil || rt.UserID == nil:
		// Unspent and valid yet not rotated: a token without a user, which
		// no grant type issues.
		return nil, errInvalidGrant("The refresh token is invalid.")
	}
	// Spent already: a concurrent refresh within the grace window, or reuse.
	scopes := scopesOr(asked, rt.Scopes)
	if p.settings.RefreshGrace > 0 && now.Sub(*rt.UsedAt) <= p.settings.RefreshGrace {
		sibling := store.RefreshToken{TokenHash: hashToken(next), GrantID: rt.GrantID, ApplicationID: rt.ApplicationID,
			UserID: rt.UserID, Scopes: scopes, CreatedAt: now, ExpiresAt: expires}
		if err := p.store.InsertRefreshToken(ctx, sibling); err != nil {
			return nil, errServer(r.Context(), err)
		}
		return p.refreshed(r, app, rt, nil, scopes, next)
	}
	_ = p.store.RevokeGrant(ctx, rt.GrantID, now)
	return nil, errInvalidGrant("The refresh token was already used; every token of this grant is now revoked.")
}

// scopesOr is the scopes asked for, or the granted ones when none were.
func scopesOr(asked, granted string) string {
	if asked != "" {
		return asked
	}
	return granted
}

// refreshed issues the tokens of a successful refresh. u is the token's user
// when the rotation already loaded it, nil to load it here.
func (p *Provider) refreshed(r *http.Request, app store.OAuthApp, rt store.RefreshToken, u *store.User, scopes, next string) (*issued, *Error) {
	now := p.now()
	out := &issued{TokenType: "Bearer", ExpiresIn: int64(p.settings.AccessTokenTTL.Seconds()), Scope: scopes, RefreshToken: next}
	if u == nil {
		loaded, err := p.users.GetUser(r.Context(), *rt.UserID)
		if e := apperr.As(err); err != nil && (e == nil || e.Kind != apperr.KindNotFound) {
			return nil, errServer(r.Context(), err)
		}
		if err == nil {
			u = &loaded
		}
	}
	// The user is checked on every refresh, not only when an ID token is
	// due: a banned user's grants must stop renewing whatever their scopes.
	if u == nil || u.Banned {
		_ = p.store.RevokeGrant(r.Context(), rt.GrantID, now)
		return nil, errInvalidGrant("The user is no longer allowed to sign in.")
	}
	var err error
	if out.AccessToken, err = p.accessToken(r.Context(), app, u.ID, scopes, rt.GrantID, now); err != nil {
		return nil, errServer(r.Context(), err)
	}
	if hasScope(scopes, "openid") {
		authTime := now
		if rt.AuthTime != nil {
			authTime = *rt.AuthTime
		}
		if out.IDToken, err = p.idToken(app, *u, scopes, "", authTime, now); err != nil {
			return nil, errServer(r.Context(), err)
		}
	}
	return out, nil
}
