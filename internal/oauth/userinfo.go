package oauth

import (
	"net/http"
	"strings"
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
	claims, err := p.verifyAccessToken(r.Context(), raw)
	if err != nil {
		if err == errTokenInvalid {
			writeError(w, r, errInvalidToken("The access token is invalid, expired or revoked."))
			return
		}
		writeError(w, r, errServer())
		return
	}
	if claims.Subject == claims.ClientID { // a client_credentials token names no user
		writeError(w, r, errInvalidToken("The access token does not belong to a user."))
		return
	}
	u, err := p.users.GetUser(r.Context(), claims.Subject)
	if err != nil || u.Banned {
		writeError(w, r, errInvalidToken("The user no longer exists."))
		return
	}
	out := userClaims(u, claims.Scope)
	out["object"] = "oauth_user_info" // user_id comes with the profile scope, as the seed's table has it
	writeJSON(w, http.StatusOK, out)
}
