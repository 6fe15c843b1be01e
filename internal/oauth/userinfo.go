package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// UserInfo serves GET and POST /oauth/userinfo: the claims of the token's
// user for the scopes it was granted.
func (p *Provider) UserInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	raw := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		raw = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	} else if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			raw = r.PostForm.Get("access_token")
		}
	}
	if raw == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey"`)
		writeJSON(w, http.StatusUnauthorized, errInvalidRequest("An access token is required."))
		return
	}
	claims, u, err := p.tokenUser(r.Context(), raw)
	switch {
	case err == errTokenInvalid:
		writeError(w, r, errInvalidToken("The access token is invalid, expired or revoked."))
		return
	case err != nil:
		writeError(w, r, errServer(r.Context(), err))
		return
	case claims.Subject == claims.ClientID: // a client_credentials token names no user
		writeError(w, r, errInvalidToken("The access token does not belong to a user."))
		return
	case u == nil || u.Banned:
		writeError(w, r, errInvalidToken("The user no longer exists."))
		return
	}
	out := userClaims(*u, claims.Scope)
	out["object"] = "oauth_user_info" // user_id comes with the profile scope, as the seed's table has it
	writeJSON(w, http.StatusOK, out)
}

// tokenUser verifies an access token and loads its user. For a JWT both the
// revocation check and the user come back in one indexed round trip.
func (p *Provider) tokenUser(ctx context.Context, raw string) (*accessClaims, *store.User, error) {
	if raw == "" || len(raw) > 8192 {
		return nil, nil, errTokenInvalid
	}
	if strings.HasPrefix(raw, opaquePrefix) {
		claims, err := p.verifyOpaque(ctx, raw)
		if err != nil || claims.Subject == claims.ClientID {
			return claims, nil, err
		}
		u, err := p.users.GetUser(ctx, claims.Subject)
		if err != nil {
			return claims, nil, nil
		}
		return claims, &u, nil
	}
	claims, err := p.parseAccessJWT(raw)
	if err != nil {
		return nil, nil, err
	}
	if claims.Subject == claims.ClientID {
		return claims, nil, nil
	}
	u, revoked, err := p.store.UserForAccessToken(ctx, claims.Subject, claims.ID, claims.GrantID, claims.ClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return claims, nil, nil
	case err != nil:
		return nil, nil, err
	case revoked:
		return nil, nil, errTokenInvalid
	}
	return claims, &u, nil
}
