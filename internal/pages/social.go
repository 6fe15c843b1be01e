package pages

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/social"
	"github.com/latchkey/latchkey/internal/store"
)

// socialButton is one "Continue with <provider>" button.
type socialButton struct{ Strategy, Name string }

// connectionRow is a connected provider account on the account page.
type connectionRow struct {
	ID, Provider, Label string
	NeedsReauth         bool
	Reason              string
}

func (p *Pages) socialRoutes(r chi.Router) {
	h := p.adapt
	r.Post("/sign-in/oauth", h(p.csrf(p.oauthStart)))
	r.Get("/sign-in/sso-callback", h(p.ssoCallback))
	r.Post("/user/connections", h(p.csrf(p.signedIn(p.connectionAdd))))
	r.Post("/user/connections/{id}/reconnect", h(p.csrf(p.signedIn(p.connectionReconnect))))
	r.Post("/user/connections/{id}/delete", h(p.csrf(p.signedIn(p.connectionDelete))))
}

// signInButtons are the providers that may sign in or sign up.
func (p *Pages) signInButtons() []socialButton {
	soc := p.engine.Social()
	if soc == nil {
		return nil
	}
	var out []socialButton
	for _, pr := range soc.Registry.Providers() {
		if pr.SignInEnabled() {
			out = append(out, socialButton{Strategy: pr.Strategy, Name: pr.Name})
		}
	}
	return out
}

// afterProvider is where a provider's callback sends the browser back to
// the hosted pages, carrying the app's redirect URL.
func (p *Pages) afterProvider(redirect string) string {
	u := p.config.PublicURL + "/sign-in/sso-callback"
	if redirect != "" {
		u += "?redirect_url=" + url.QueryEscape(redirect)
	}
	return u
}

// oauthStart sends the browser to the provider (from the sign-in or sign-up page).
func (p *Pages) oauthStart(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Sign in")
	if err != nil {
		return err
	}
	clientID := stateOf(r).client.ID
	in := signin.OAuthStartInput{Strategy: r.PostFormValue("strategy"), RedirectURL: p.afterProvider(v.RedirectURL), IP: clientIP(r)}
	var authURL string
	if r.PostFormValue("intent") == "sign_up" {
		su, err := p.engine.StartOAuthSignUp(r.Context(), clientID, in, signin.SignUpInput{})
		authURL = su.ExternalVerificationRedirectURL
		if err != nil {
			return p.oauthStartFailed(w, r, v, err)
		}
	} else {
		si, err := p.engine.StartOAuthSignIn(r.Context(), clientID, in)
		authURL = si.ExternalVerificationRedirectURL
		if err != nil {
			return p.oauthStartFailed(w, r, v, err)
		}
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
	return nil
}

func (p *Pages) oauthStartFailed(w http.ResponseWriter, r *http.Request, v *view, err error) error {
	if e := apperr.As(err); e != nil && e.Code == "session_exists" {
		return p.done(w, r, v.RedirectURL)
	}
	v.fieldErrors(err)
	return p.renderSignIn(w, statusFor(err), v)
}

// ssoCallback continues after the provider: signed in, or the step the
// sign-in or sign-up still needs (a code to prove the email, a new password,
// missing fields).
func (p *Pages) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Sign in")
	if err != nil {
		return err
	}
	c := stateOf(r).client
	if c == nil {
		return p.to(w, r, "/sign-in", v.RedirectURL)
	}
	ctx := r.Context()
	if why := p.providerRefusal(r); why != nil {
		v.Error = why.LongMessage
		return p.renderSignIn(w, http.StatusOK, v)
	}
	if c.SignUpID != nil {
		if su, err := p.engine.GetSignUp(ctx, c.ID, *c.SignUpID); err == nil && su.SignUp.Status == signin.MissingRequirements {
			if contains(su.Unverified, "email_address") && su.Verification != nil {
				return p.to(w, r, "/sign-up/verify", v.RedirectURL)
			}
			return p.to(w, r, "/sign-up", v.RedirectURL)
		}
	}
	if si, ok := p.current(r); ok && si.SignIn.Status == signin.NeedsFirstFactor && si.Verification != nil {
		switch si.Verification.Strategy {
		case signin.StrategyEmailCode:
			return p.to(w, r, "/sign-in/code", v.RedirectURL)
		case signin.StrategyResetPasswordEmailCode:
			v.Notice = "Confirm it's you: we sent a code to your email."
			return p.to(w, r, "/sign-in/reset", v.RedirectURL)
		}
	}
	active, err := p.activeSessions(r)
	if err != nil {
		return err
	}
	if len(active) == 0 {
		return p.to(w, r, "/sign-in", v.RedirectURL)
	}
	return p.done(w, r, v.RedirectURL)
}

// providerRefusal is why the browser's latest round trip to a provider
// failed (declined there, a blocked address, ...), or nil: the latest of the
// client's current sign-in and sign-up decides, so an old failure does not
// shadow a later success.
func (p *Pages) providerRefusal(r *http.Request) *store.FlowError {
	c := stateOf(r).client
	var why *store.FlowError
	var at time.Time
	if si, ok := p.current(r); ok {
		why, at = si.ExternalError, si.SignIn.UpdatedAt
	}
	if c.SignUpID != nil {
		if su, err := p.engine.GetSignUp(r.Context(), c.ID, *c.SignUpID); err == nil && su.SignUp.UpdatedAt.After(at) {
			why = su.ExternalError
		}
	}
	return why
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// connections lists the user's provider accounts and the providers they
// could still connect.
func (p *Pages) connections(u store.User) (rows []connectionRow, add []socialButton) {
	soc := p.engine.Social()
	if soc == nil {
		return nil, nil
	}
	have := map[string]bool{}
	for _, a := range u.ExternalAccounts {
		name := strings.TrimPrefix(a.Provider, "oauth_")
		if pr, ok := soc.Registry.Get(a.Provider); ok {
			name = pr.Name
		}
		label := a.EmailAddress
		if label == "" {
			label = a.Username
		}
		rows = append(rows, connectionRow{ID: a.ID, Provider: name, Label: label, NeedsReauth: a.NeedsReauthorization,
			Reason: a.ReauthorizationReason})
		have[a.Provider] = true
	}
	for _, pr := range soc.Registry.Providers() {
		if !have[pr.Strategy] {
			add = append(add, socialButton{Strategy: pr.Strategy, Name: pr.Name})
		}
	}
	return rows, add
}

// connectTo sends the signed-in user to the provider to connect it.
func (p *Pages) connectTo(w http.ResponseWriter, r *http.Request, cu ctxUser, strategy string, scopes []string) error {
	soc := p.engine.Social()
	if soc == nil {
		return apperr.NotFound()
	}
	_, authURL, err := soc.Start(r.Context(), social.StartInput{ClientID: stateOf(r).client.ID, Strategy: strategy,
		Purpose: social.PurposeConnect, RedirectURL: p.config.PublicURL + "/user?done=connected", UserID: &cu.user.ID,
		AdditionalScopes: scopes})
	if err != nil {
		return p.accountError(w, r, cu, err)
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
	return nil
}

func (p *Pages) connectionAdd(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	return p.connectTo(w, r, cu, r.PostFormValue("strategy"), nil)
}

// connectionReconnect re-authorizes an account (after a revoked grant),
// asking again for the scopes it had.
func (p *Pages) connectionReconnect(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	for _, a := range cu.user.ExternalAccounts {
		if a.ID == chi.URLParam(r, "id") {
			return p.connectTo(w, r, cu, a.Provider, a.ApprovedScopes)
		}
	}
	return apperr.NotFound()
}

func (p *Pages) connectionDelete(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	err := p.users.DeleteExternalAccount(r.Context(), cu.user.ID, chi.URLParam(r, "id"), p.engine.KeepsWayToSignIn)
	if err != nil {
		return p.accountError(w, r, cu, err)
	}
	return p.back(w, r, "disconnected")
}
