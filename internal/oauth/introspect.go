package oauth

import (
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/store"
)

// Introspect serves POST /oauth/token_info (RFC 7662). The caller must be an
// authenticated client, and sees only its own tokens: anything invalid,
// expired, revoked or foreign is {"active": false} and nothing more.
func (p *Provider) Introspect(w http.ResponseWriter, r *http.Request) {
	form, e := parseTokenForm(r)
	if e != nil {
		writeError(w, r, e)
		return
	}
	token := form.Get("token")
	// The common case — a client asking about its own JWT access token — is
	// one read: the client's record and the token's revocation state together.
	if claims, err := p.parseAccessJWT(token); err == nil {
		if id, secret, e := clientCredentials(r, form); e == nil && id == claims.ClientID {
			app, revoked, err := p.store.AppWithTokenState(r.Context(), id, claims.ID, claims.GrantID)
			if app, e := checkClient(app, err, secret); e != nil || app.Public {
				writeError(w, r, firstErr(e, errInvalidClient("Introspection needs client credentials.")))
				return
			}
			if revoked {
				writeJSON(w, http.StatusOK, map[string]bool{"active": false})
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"active": true, "client_id": claims.ClientID,
				"iat": claims.IssuedAt.Unix(), "exp": claims.ExpiresAt.Unix(), "scope": claims.Scope,
				"sub": claims.Subject, "token_type": "access_token", "iss": p.settings.Issuer, "jti": claims.ID})
			return
		}
	}
	app, e := p.authenticateClient(r.Context(), r, form)
	if e != nil {
		writeError(w, r, e)
		return
	}
	if app.Public {
		writeError(w, r, errInvalidClient("Introspection needs client credentials."))
		return
	}
	inactive := map[string]bool{"active": false}
	if token == "" {
		writeError(w, r, errInvalidRequest("token is required."))
		return
	}
	if claims, err := p.verifyAccessToken(r.Context(), token); err == nil {
		if claims.ClientID != app.ClientID {
			writeJSON(w, http.StatusOK, inactive)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"active": true, "client_id": claims.ClientID,
			"iat": claims.IssuedAt.Unix(), "exp": claims.ExpiresAt.Unix(), "scope": claims.Scope,
			"sub": claims.Subject, "token_type": "access_token", "iss": p.settings.Issuer, "jti": claims.ID})
		return
	}
	rt, err := p.store.RefreshTokenByHash(r.Context(), hashToken(token))
	if err != nil || errors.Is(err, store.ErrNotFound) || rt.ApplicationID != app.ID || rt.GrantRevoked ||
		rt.UsedAt != nil || !rt.ExpiresAt.After(p.now()) {
		writeJSON(w, http.StatusOK, inactive)
		return
	}
	sub := app.ClientID
	if rt.UserID != nil {
		sub = *rt.UserID
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": true, "client_id": app.ClientID, "iat": rt.CreatedAt.Unix(),
		"exp": rt.ExpiresAt.Unix(), "scope": rt.Scopes, "sub": sub, "token_type": "refresh_token", "iss": p.settings.Issuer})
}

func firstErr(a, b *Error) *Error {
	if a != nil {
		return a
	}
	return b
}
