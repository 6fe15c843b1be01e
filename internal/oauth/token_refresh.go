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
// where a concurrent refresh gets a sibling token in the same grant. Two
// statements: a read, then a conditional update that only one caller wins.
func (p *Provider) grantRefreshToken(r *http.Request, app store.OAuthApp, form url.Values) (*issued, *Error) {
	presented := form.Get("refresh_token")
	if presented == "" {
		return nil, errInvalidRequest("refresh_token is required.")
	}
	ctx, now := r.Context(), p.now()
	hash := hashToken(presented)
	rt, err := p.store.RefreshTokenByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errInvalidGrant("The refresh token is invalid.")
	case err != nil:
		return nil, errServer()
	case rt.ApplicationID != app.ID:
		return nil, errInvalidGrant("The refresh token was issued to another client.")
	case rt.GrantRevoked:
		return nil, errInvalidGrant("The refresh token has been revoked.")
	case !rt.ExpiresAt.After(now):
		return nil, errInvalidGrant("The refresh token has expired.")
	}
	scopes := rt.Scopes
	if s := form.Get("scope"); s != "" {
		asked := joinScopes(splitScopes(s))
		if !subset(asked, rt.Scopes) {
			return nil, errInvalidScope("A refresh can only keep or narrow the granted scopes.")
		}
		scopes = asked
	}
	next := randomToken()
	expires := now.Add(p.settings.RefreshTokenTTL)
	if rt.UsedAt == nil {
		_, ok, err := p.store.RotateRefreshToken(ctx, hash, hashToken(next), scopes, now, expires)
		if err != nil {
			return nil, errServer()
		}
		if ok {
			return p.refreshed(r, app, rt, scopes, next)
		}
		if rt, err = p.store.RefreshTokenByHash(ctx, hash); err != nil {
			return nil, errServer()
		}
		if rt.GrantRevoked || rt.UsedAt == nil {
			return nil, errInvalidGrant("The refresh token has been revoked.")
		}
	}
	// Spent already: a concurrent refresh within the grace window, or reuse.
	if p.settings.RefreshGrace > 0 && now.Sub(*rt.UsedAt) <= p.settings.RefreshGrace {
		sibling := store.RefreshToken{TokenHash: hashToken(next), GrantID: rt.GrantID, ApplicationID: rt.ApplicationID,
			UserID: rt.UserID, Scopes: scopes, CreatedAt: now, ExpiresAt: expires}
		if err := p.store.InsertRefreshToken(ctx, sibling); err != nil {
			return nil, errServer()
		}
		return p.refreshed(r, app, rt, scopes, next)
	}
	_ = p.store.RevokeGrant(ctx, rt.GrantID, now)
	return nil, errInvalidGrant("The refresh token was already used; every token of this grant is now revoked.")
}

func (p *Provider) refreshed(r *http.Request, app store.OAuthApp, rt store.RefreshToken, scopes, next string) (*issued, *Error) {
	now := p.now()
	out := &issued{TokenType: "Bearer", ExpiresIn: int64(p.settings.AccessTokenTTL.Seconds()), Scope: scopes, RefreshToken: next}
	subject := app.ClientID
	if rt.UserID != nil {
		subject = *rt.UserID
	}
	// The user is checked on every refresh, not only when an ID token is
	// due: a banned user's grants must stop renewing whatever their scopes.
	var u store.User
	if rt.UserID != nil {
		var err error
		u, err = p.users.GetUser(r.Context(), *rt.UserID)
		if e := apperr.As(err); err != nil && (e == nil || e.Kind != apperr.KindNotFound) {
			return nil, errServer()
		}
		if err != nil || u.Banned {
			_ = p.store.RevokeGrant(r.Context(), rt.GrantID, now)
			return nil, errInvalidGrant("The user is no longer allowed to sign in.")
		}
	}
	var err error
	if out.AccessToken, err = p.accessToken(r.Context(), app, subject, scopes, rt.GrantID, now); err != nil {
		return nil, errServer()
	}
	if hasScope(scopes, "openid") && rt.UserID != nil {
		authTime := now
		if rt.AuthTime != nil {
			authTime = *rt.AuthTime
		}
		if out.IDToken, err = p.idToken(app, u, scopes, "", authTime, now); err != nil {
			return nil, errServer()
		}
	}
	return out, nil
}
