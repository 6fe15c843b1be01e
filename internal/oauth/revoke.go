package oauth

import (
	"context"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Revoke serves POST /oauth/token/revoke (RFC 7009). It answers 200 for any
// token, known or not; a client can only revoke its own. Revoking a refresh
// token revokes its grant, ending the grant's access tokens too.
func (p *Provider) Revoke(w http.ResponseWriter, r *http.Request) {
	form, e := parseTokenForm(r)
	if e != nil {
		writeError(w, r, e)
		return
	}
	app, e := p.authenticateClient(r.Context(), r, form)
	if e != nil {
		writeError(w, r, e)
		return
	}
	if form.Get("token") == "" {
		writeError(w, r, errInvalidRequest("token is required."))
		return
	}
	if err := p.revokeToken(r.Context(), app, form.Get("token")); err != nil {
		writeError(w, r, errServer(r.Context(), err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// revokeToken revokes an access or refresh token of app: the token's grant
// when it has one, else (a client_credentials JWT) its jti.
func (p *Provider) revokeToken(ctx context.Context, app store.OAuthApp, token string) error {
	now := p.now()
	if claims, err := p.verifyAccessToken(ctx, token); err == nil {
		if claims.ClientID != app.ClientID {
			return nil
		}
		if claims.GrantID != "" {
			return p.store.RevokeGrant(ctx, claims.GrantID, now)
		}
		return p.store.RevokeJTI(ctx, claims.ID, claims.ExpiresAt.Add(time.Minute))
	}
	rt, err := p.store.RefreshTokenByHash(ctx, hashToken(token))
	if err != nil || rt.ApplicationID != app.ID {
		return nil
	}
	return p.store.RevokeGrant(ctx, rt.GrantID, now)
}

// RevokeForApp revokes token (and every token of its grant) on behalf of an
// application, for the Backend API.
func (p *Provider) RevokeForApp(ctx context.Context, appID, token string) error {
	app, err := p.store.GetOAuthApp(ctx, appID)
	if err != nil {
		return translate(err)
	}
	if err := p.revokeToken(ctx, app, token); err != nil {
		return translate(err)
	}
	return nil
}

// AccessTokenInfo describes an access token checked for a backend.
type AccessTokenInfo struct {
	ID, ClientID, Subject, Scope string
	IssuedAt, ExpiresAt          time.Time
}

// VerifyAccessTokenForBackend checks an access token; ok is false for any
// token that is not currently valid.
func (p *Provider) VerifyAccessTokenForBackend(ctx context.Context, token string) (AccessTokenInfo, bool, error) {
	claims, err := p.verifyAccessToken(ctx, token)
	if err == errTokenInvalid {
		return AccessTokenInfo{}, false, nil
	}
	if err != nil {
		return AccessTokenInfo{}, false, translate(err)
	}
	return AccessTokenInfo{ID: claims.ID, ClientID: claims.ClientID, Subject: claims.Subject, Scope: claims.Scope,
		IssuedAt: claims.IssuedAt.Time, ExpiresAt: claims.ExpiresAt.Time}, true, nil
}
