package oauth

import (
	"net/http"
	"net/url"
)

// Token serves POST /oauth/token, dispatching on grant_type.
func (p *Provider) Token(w http.ResponseWriter, r *http.Request) {
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
	var out *issued
	switch form.Get("grant_type") {
	case "authorization_code":
		out, e = p.grantAuthorizationCode(r, app, form)
	case "refresh_token":
		out, e = p.grantRefreshToken(r, app, form)
	case "client_credentials":
		out, e = p.grantClientCredentials(r.Context(), app, form)
	case "":
		e = errInvalidRequest("grant_type is required.")
	default:
		e = errUnsupportedGrant("Supported grants: authorization_code, refresh_token, client_credentials.")
	}
	if e != nil {
		writeError(w, r, e)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// parseTokenForm reads the form body; repeated parameters are refused.
func parseTokenForm(r *http.Request) (url.Values, *Error) {
	if r.Method != http.MethodPost {
		return nil, errInvalidRequest("Use POST.")
	}
	if err := r.ParseForm(); err != nil {
		return nil, errInvalidRequest("The request body is not a valid form.")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, errInvalidRequest("The " + k + " parameter was given more than once.")
		}
	}
	return r.PostForm, nil
}
