package pages

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/signin"
)

type signInData struct {
	IdentifierLabel, IdentifierType string
	Passkeys                        bool
}

func (p *Pages) identifierLabel() (label, typ string) {
	ids := p.config.Auth.Identifiers
	var parts []string
	if ids.EmailAddress.Enabled {
		parts = append(parts, "Email address")
	}
	if ids.Username.Enabled {
		parts = append(parts, "username")
	}
	if ids.PhoneNumber.Enabled {
		parts = append(parts, "phone number")
	}
	label = parts[0]
	if len(parts) > 1 {
		label = strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
	}
	label = strings.ToUpper(label[:1]) + label[1:]
	typ = "text"
	if len(parts) == 1 && ids.EmailAddress.Enabled {
		typ = "email"
	}
	return label, typ
}

// activeSessions lists the browser's signed-in sessions.
func (p *Pages) activeSessions(r *http.Request) ([]string, error) {
	st := stateOf(r)
	if st.client == nil {
		return nil, nil
	}
	all, err := p.sessions.ClientSessions(r.Context(), st.client.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range all {
		if p.sessions.Status(s) == session.StatusActive {
			out = append(out, s.ID)
		}
	}
	return out, nil
}

// alreadySignedIn sends a signed-in person straight back, or to the account
// chooser when several accounts may be signed in. ok is false when the page
// should render.
func (p *Pages) alreadySignedIn(w http.ResponseWriter, r *http.Request, redirect string) (bool, error) {
	if r.URL.Query().Get("add") == "1" && p.config.Sessions.MultiSession {
		return false, nil
	}
	if r.URL.Query().Get("reauth") == "1" {
		// An application asked for a fresh sign-in (prompt=login, max_age).
		// The form is shown; the current session makes way only when the
		// CSRF-checked form is submitted, so a link alone signs nobody out.
		return false, nil
	}
	active, err := p.activeSessions(r)
	if err != nil || len(active) == 0 {
		return false, err
	}
	if p.config.Sessions.MultiSession {
		return true, p.to(w, r, "/sign-in/choose", redirect)
	}
	return true, p.done(w, r, redirect)
}

func (p *Pages) signInPage(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Sign in")
	if err != nil {
		return err
	}
	if done, err := p.alreadySignedIn(w, r, v.RedirectURL); done || err != nil {
		return err
	}
	// An OAuth client's login_hint arrives as ?identifier=: prefilled only.
	if hint := strings.TrimSpace(r.URL.Query().Get("identifier")); hint != "" && len(hint) <= 256 {
		v.Values["identifier"] = hint
	}
	if r.URL.Query().Get("reauth") == "1" {
		v.Values["reauth"] = "1"
		v.Notice = "Sign in again to continue."
	}
	return p.renderSignIn(w, http.StatusOK, v)
}

func (p *Pages) renderSignIn(w http.ResponseWriter, status int, v *view) error {
	label, typ := p.identifierLabel()
	v.Data = signInData{IdentifierLabel: label, IdentifierType: typ, Passkeys: p.engine.PasskeysEnabled()}
	return p.render(w, status, "sign_in", v)
}

func (p *Pages) signInSubmit(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Sign in")
	if err != nil {
		return err
	}
	identifier := strings.TrimSpace(r.PostFormValue("identifier"))
	v.Values["identifier"] = identifier
	v.Values["reauth"] = r.PostFormValue("reauth")
	if identifier == "" {
		v.Errors["identifier"] = "Enter your " + strings.ToLower(p.identifierLabelText()) + "."
		return p.renderSignIn(w, http.StatusUnprocessableEntity, v)
	}
	if r.PostFormValue("reauth") == "1" && !p.config.Sessions.MultiSession {
		if err := p.sessions.EndAllForClient(r.Context(), stateOf(r).client.ID); err != nil {
			return err
		}
	}
	_, err = p.engine.CreateSignIn(r.Context(), stateOf(r).client.ID, signin.CreateSignInInput{Identifier: identifier, IP: clientIP(r)})
	if err != nil {
		if apperr.As(err) != nil && apperr.As(err).Code == "session_exists" {
			return p.done(w, r, v.RedirectURL)
		}
		v.fieldErrors(err, "identifier")
		return p.renderSignIn(w, statusFor(err), v)
	}
	return p.to(w, r, "/sign-in/factor", v.RedirectURL)
}

func (p *Pages) identifierLabelText() string {
	l, _ := p.identifierLabel()
	return l
}

// current loads the browser's sign-in in progress.
func (p *Pages) current(r *http.Request) (signin.SignInView, bool) {
	st := stateOf(r)
	if st.client == nil || st.client.SignInID == nil {
		return signin.SignInView{}, false
	}
	v, err := p.engine.GetSignIn(r.Context(), st.client.ID, *st.client.SignInID)
	if err != nil {
		return v, false
	}
	return v, true
}

type factorData struct {
	Identifier                  string
	Password, Code, Link, Reset bool
	Phone                       bool // phone_code: a texted code
}

func (p *Pages) factorData(si signin.SignInView) factorData {
	d := factorData{Identifier: *si.SignIn.Identifier}
	for _, f := range si.Factors {
		switch f.Strategy {
		case signin.StrategyPassword:
			d.Password = true
		case signin.StrategyEmailCode:
			d.Code = true
		case signin.StrategyEmailLink:
			d.Link = true
		case signin.StrategyResetPasswordEmailCode:
			d.Reset = true
		case signin.StrategyPhoneCode:
			d.Phone = true
		}
	}
	return d
}

// flowStep loads the sign-in for a step page, or sends the person back to
// the start when there is none waiting.
func (p *Pages) flowStep(w http.ResponseWriter, r *http.Request, title, want string) (*view, signin.SignInView, bool, error) {
	v, err := p.newView(w, r, title)
	if err != nil {
		return nil, signin.SignInView{}, false, err
	}
	si, ok := p.current(r)
	if !ok || si.SignIn.Identifier == nil {
		return v, si, false, p.to(w, r, "/sign-in", v.RedirectURL)
	}
	if si.SignIn.Status == signin.Complete {
		return v, si, false, p.done(w, r, v.RedirectURL)
	}
	if si.SignIn.Status != want {
		return v, si, false, p.to(w, r, "/sign-in", v.RedirectURL)
	}
	return v, si, true, nil
}

func (p *Pages) factorPage(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Sign in", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	v.Data = p.factorData(si)
	return p.render(w, http.StatusOK, "sign_in_factor", v)
}

func (p *Pages) passwordSubmit(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Sign in", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	res, err := p.engine.AttemptFirstFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID,
		signin.AttemptInput{Strategy: signin.StrategyPassword, Password: r.PostFormValue("password"), IP: clientIP(r)})
	if err != nil {
		v.fieldErrors(err, "password")
		v.Data = p.factorData(si)
		return p.render(w, statusFor(err), "sign_in_factor", v)
	}
	return p.afterFirstFactor(w, r, res, v.RedirectURL)
}

type codeData struct {
	Heading, To, Action, Resend, Submit string
	NewPassword                         bool
}

func (p *Pages) codeSend(w http.ResponseWriter, r *http.Request) error {
	return p.prepare(w, r, signin.StrategyEmailCode, "/sign-in/code")
}

func (p *Pages) resetSend(w http.ResponseWriter, r *http.Request) error {
	return p.prepare(w, r, signin.StrategyResetPasswordEmailCode, "/sign-in/reset")
}

func (p *Pages) linkSend(w http.ResponseWriter, r *http.Request) error {
	return p.prepare(w, r, signin.StrategyEmailLink, "/sign-in/link")
}

// prepare sends a code or link for the sign-in and moves to its page.
func (p *Pages) prepare(w http.ResponseWriter, r *http.Request, strategy, next string) error {
	v, si, ok, err := p.flowStep(w, r, "Sign in", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	in := signin.PrepareInput{Strategy: strategy, IP: clientIP(r)}
	if strategy == signin.StrategyEmailLink {
		// The link lands on the waiting page of this browser, which then
		// continues to the app.
		in.RedirectURL = p.config.PublicURL + "/sign-in/link"
		if v.RedirectURL != "" {
			in.RedirectURL += "?redirect_url=" + url.QueryEscape(v.RedirectURL)
		}
	}
	if _, err := p.engine.PrepareFirstFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID, in); err != nil {
		v.fieldErrors(err)
		v.Data = p.factorData(si)
		return p.render(w, statusFor(err), "sign_in_factor", v)
	}
	return p.to(w, r, next, v.RedirectURL)
}

func (p *Pages) safeTo(si signin.SignInView, strategy string) string {
	for _, f := range si.Factors {
		if f.Strategy == strategy {
			return f.SafeIdentifier
		}
	}
	return "your email"
}

func (p *Pages) codePage(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Enter your code", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	v.Data = codeData{Heading: "Check your email", To: p.safeTo(si, signin.StrategyEmailCode),
		Action: "/sign-in/code", Resend: "/sign-in/code/send", Submit: "Continue"}
	return p.render(w, http.StatusOK, "code", v)
}

func (p *Pages) codeSubmit(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Enter your code", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	res, err := p.engine.AttemptFirstFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID,
		signin.AttemptInput{Strategy: signin.StrategyEmailCode, Code: strings.TrimSpace(r.PostFormValue("code")), IP: clientIP(r)})
	if err != nil {
		v.fieldErrors(err, "code")
		v.Data = codeData{Heading: "Check your email", To: p.safeTo(si, signin.StrategyEmailCode),
			Action: "/sign-in/code", Resend: "/sign-in/code/send", Submit: "Continue"}
		return p.render(w, statusFor(err), "code", v)
	}
	return p.afterFirstFactor(w, r, res, v.RedirectURL)
}

type checkEmailData struct{ To, Poll, Resend string }

// linkPage waits for the emailed link to be opened. It refreshes itself, so
// it needs no JavaScript; once the sign-in is complete it moves on.
func (p *Pages) linkPage(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Check your email")
	if err != nil {
		return err
	}
	si, ok := p.current(r)
	if !ok {
		return p.to(w, r, "/sign-in", v.RedirectURL)
	}
	if si.SignIn.Status == signin.Complete || si.SignIn.Status == signin.NeedsSecondFactor {
		return p.afterFirstFactor(w, r, si, v.RedirectURL)
	}
	if si.Verification != nil && si.Verification.Strategy == signin.StrategyEmailLink {
		switch {
		case si.Verification.ErrorCode != nil && *si.Verification.ErrorCode == "client_mismatch":
			v.Error = "The link was opened in a different browser or device. For your security it only works in the browser where you asked for it. Send a new link and open it here."
		case si.Verification.Status == "expired":
			v.Error = "The link has expired. Send a new one."
		case si.Verification.Status == "failed":
			v.Error = "The link can no longer be used. Send a new one."
		}
	}
	if v.Error == "" {
		v.Refresh = 3
	}
	v.Data = checkEmailData{To: p.safeTo(si, signin.StrategyEmailLink), Poll: "/sign-in/link", Resend: "/sign-in/link/send"}
	return p.render(w, http.StatusOK, "check_email", v)
}

func (p *Pages) resetPage(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Reset your password", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	v.Data = p.resetData(si)
	return p.render(w, http.StatusOK, "code", v)
}

func (p *Pages) resetData(si signin.SignInView) codeData {
	return codeData{Heading: "Reset your password", To: p.safeTo(si, signin.StrategyResetPasswordEmailCode),
		Action: "/sign-in/reset", Resend: "/sign-in/reset/send", Submit: "Reset password and sign in", NewPassword: true}
}

// resetSubmit checks the new password first, so a weak one does not spend
// the code, then the code, then sets the password and signs in.
func (p *Pages) resetSubmit(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Reset your password", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	newPassword := r.PostFormValue("password")
	fail := func(err error) error {
		v.fieldErrors(err, "code", "password")
		v.Data = p.resetData(si)
		return p.render(w, statusFor(err), "code", v)
	}
	if err := password.Check(newPassword); err != nil {
		return fail(identity.PasswordPolicyError(err))
	}
	_, err = p.engine.AttemptFirstFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID,
		signin.AttemptInput{Strategy: signin.StrategyResetPasswordEmailCode, Code: strings.TrimSpace(r.PostFormValue("code")), IP: clientIP(r)})
	if err != nil {
		return fail(err)
	}
	res, err := p.engine.ResetPassword(r.Context(), si.SignIn.ClientID, si.SignIn.ID, newPassword, r.PostFormValue("sign_out_of_other_sessions") == "true")
	if err != nil {
		return fail(err)
	}
	return p.afterFirstFactor(w, r, res, v.RedirectURL)
}
