package fapi

import (
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/signin"
)

// scopesParam reads additional_scopes: space- or comma-separated, as Clerk's
// clients send them.
func scopesParam(f *form) []string {
	return strings.FieldsFunc(f.get("additional_scopes"), func(r rune) bool { return r == ' ' || r == ',' })
}

// createOAuthSignIn starts a sign-in through a provider (strategy
// oauth_<provider>) or signs in with a native ID token (oauth_token_<provider>).
func (a *API) createOAuthSignIn(w http.ResponseWriter, r *http.Request, f *form, strategy string) error {
	in := signin.OAuthStartInput{Strategy: strategy, RedirectURL: f.get("redirect_url"),
		ActionCompleteRedirectURL: f.get("action_complete_redirect_url"), AdditionalScopes: scopesParam(f), IP: clientIP(r)}
	token := f.get("token")
	f.str("identifier")
	f.str("oidc_prompt")
	f.str("oidc_login_hint")
	if err := f.done(); err != nil {
		return err
	}
	c, err := a.ensureClient(w, r)
	if err != nil {
		return err
	}
	if signin.IsOAuthTokenStrategy(strategy) {
		v, err := a.Engine.NativeIDTokenSignIn(r.Context(), c.ID, strategy, token, clientIP(r))
		return a.writeSignIn(w, r, v, err)
	}
	v, err := a.Engine.StartOAuthSignIn(r.Context(), c.ID, in)
	return a.writeSignIn(w, r, v, err)
}

// createOAuthSignUp starts a sign-up through a provider.
func (a *API) createOAuthSignUp(w http.ResponseWriter, r *http.Request, f *form, fields signin.SignUpInput) error {
	in := signin.OAuthStartInput{Strategy: fields.Strategy, RedirectURL: fields.RedirectURL,
		ActionCompleteRedirectURL: f.get("action_complete_redirect_url"), AdditionalScopes: scopesParam(f), IP: clientIP(r)}
	if err := f.done(); err != nil {
		return err
	}
	c, err := a.ensureClient(w, r)
	if err != nil {
		return err
	}
	v, err := a.Engine.StartOAuthSignUp(r.Context(), c.ID, in, fields)
	return a.writeSignUp(w, r, v, err)
}

// transferSignUp answers POST /v1/client/sign_ups with transfer=true: the
// provider's callback already moved the person to a sign-up (this client's
// current one), which is returned as it stands.
func (a *API) transferSignUp(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	if st.client == nil || st.client.SignUpID == nil {
		return apperr.New(apperr.KindInvalid, "sign_up_transfer_invalid", "Nothing to transfer.",
			"There is no sign-in through a provider to turn into a sign-up on this client.")
	}
	v, err := a.Engine.GetSignUp(r.Context(), st.client.ID, *st.client.SignUpID)
	if err == nil && v.SignUp.ExternalStrategy == nil {
		err = apperr.New(apperr.KindInvalid, "sign_up_transfer_invalid", "Nothing to transfer.",
			"This client's sign-up did not come through a provider.")
	}
	return a.writeSignUp(w, r, v, err)
}

// oauthCallback is where providers send the browser back. The state must
// belong to this browser's client. A form_post response (Apple) arrives as
// a cross-site POST that carries no SameSite=Lax cookie, so it is turned
// into a same-URL GET, which does.
func (a *API) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return apperr.MalformedBody("The provider's response could not be read.")
		}
		http.Redirect(w, r, a.Config.PublicURL+"/v1/oauth_callback?"+r.PostForm.Encode(), http.StatusSeeOther)
		return nil
	}
	st := stateOf(r)
	clientID := ""
	if st.client != nil {
		clientID = st.client.ID
	}
	target, err := a.Engine.OAuthCallback(r.Context(), clientID, clientIP(r), r.URL.Query())
	if err != nil && a.ErrorPage != nil && wantsHTML(r) {
		// The provider sent a person here, not a program: a page with a
		// way back reads better than a JSON error.
		a.ErrorPage(w, r, err)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// socialSettings is /v1/environment's user_settings.social: one entry per
// configured provider, keyed by strategy, in Clerk's shape.
func (a *API) socialSettings() map[string]any {
	out := map[string]any{}
	soc := a.Engine.Social()
	if soc == nil {
		return out
	}
	for _, p := range soc.Registry.Providers() {
		out[p.Strategy] = map[string]any{"enabled": true, "required": false, "authenticatable": p.SignInEnabled(),
			"block_email_subaddresses": p.BlocksSubaddresses(), "strategy": p.Strategy, "name": p.Name,
			"not_selectable": false, "deprecated": false, "logo_url": nil}
	}
	return out
}

// wantsHTML reports whether the request comes from a browser navigating
// (its Accept names text/html), rather than from a program.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
