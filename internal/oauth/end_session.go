package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/session"
)

// EndSession serves GET /oauth/end_session (RP-initiated logout): it signs
// the browser's session out and returns to post_logout_redirect_uri only if
// the client (named by id_token_hint or client_id) registered it.
//
// Without an id_token_hint the request could come from any page, so the
// person confirms on a form first (POST, with a token bound to their
// browser): a link alone signs nobody out.
func (p *Provider) EndSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	confirmed := false
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			ErrorPage(w, r, fatal("The sign-out form could not be read."))
			return
		}
		q = r.PostForm
		confirmed = p.confirmToken(r) != "" && hmac.Equal([]byte(q.Get("confirm")), []byte(p.confirmToken(r)))
		if !confirmed {
			ErrorPage(w, r, fatal("The sign-out form has expired. Go back and try again."))
			return
		}
	}
	clientID := q.Get("client_id")
	if hint := q.Get("id_token_hint"); hint != "" {
		aud, ok := p.idTokenAudience(hint)
		if !ok {
			ErrorPage(w, r, fatal("The sign-out request carries an ID token this server did not issue."))
			return
		}
		if clientID != "" && clientID != aud {
			ErrorPage(w, r, fatal("client_id does not match the ID token."))
			return
		}
		clientID = aud
	}
	// The return address is checked before anything happens, so a bad
	// request changes nothing.
	target := p.settings.Issuer + "/sign-in"
	if post := q.Get("post_logout_redirect_uri"); post != "" {
		app, err := p.appByClientID(r.Context(), clientID)
		if clientID == "" || err != nil || !exactMatch(post, app.PostLogoutRedirectURIs) && !exactMatch(post, app.RedirectURIs) {
			ErrorPage(w, r, fatal("The address to return to after signing out is not registered by the application."))
			return
		}
		u, _ := url.Parse(post)
		if st := q.Get("state"); st != "" {
			v := u.Query()
			v.Set("state", st)
			u.RawQuery = v.Encode()
		}
		target = u.String()
	}
	if s, ok := p.CurrentSession(r); ok {
		if q.Get("id_token_hint") == "" && !confirmed {
			p.confirmSignOut(w, r, q)
			return
		}
		_, _ = p.sessions.End(r.Context(), s.ID, s.ClientID, session.StatusEnded)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// confirmToken binds the confirmation form to the browser's client cookie.
func (p *Provider) confirmToken(r *http.Request) string {
	c, err := r.Cookie(session.CookieName)
	if err != nil || len(p.settings.ConfirmKey) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, p.settings.ConfirmKey)
	m.Write([]byte("end_session:" + c.Value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var confirmPage = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out?</title><link rel="stylesheet" href="/static/latchkey.css"><link rel="stylesheet" href="/theme.css"></head>
<body><main><h1>Sign out?</h1><p class="lead">An application asked to sign you out.</p>
<form method="post" action="/oauth/end_session">{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<input type="hidden" name="confirm" value="{{.Token}}"><button type="submit">Sign out</button></form>
</main></body></html>`))

func (p *Provider) confirmSignOut(w http.ResponseWriter, r *http.Request, q url.Values) {
	params := url.Values{}
	for _, k := range []string{"client_id", "post_logout_redirect_uri", "state"} {
		if v := q.Get(k); v != "" {
			params.Set(k, v)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	_ = confirmPage.Execute(w, map[string]any{"Params": params, "Token": p.confirmToken(r)})
}

// idTokenAudience checks an id_token_hint: one of our ID tokens (RS256, a
// published key, our issuer, not an access token), possibly expired as OIDC
// RP-initiated logout allows, for exactly one client.
func (p *Provider) idTokenAudience(hint string) (string, bool) {
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(hint, claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ == "at+jwt" {
			return nil, errTokenInvalid
		}
		kid, _ := t.Header["kid"].(string)
		if key, ok := p.keyring.PublicKey(kid); ok {
			return key, nil
		}
		return nil, errTokenInvalid
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil || !tok.Valid {
		return "", false
	}
	iss, _ := claims.GetIssuer()
	aud, _ := claims.GetAudience()
	if iss != p.settings.Issuer || len(aud) != 1 || claims["sid"] != nil {
		return "", false // a session token (sid) is not an ID token either
	}
	return aud[0], true
}
