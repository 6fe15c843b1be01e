package pages

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/store"
)

// signUpCodeStep is one of the sign-up's code verifications on the hosted
// pages: the email address's or the phone number's. Both are the same page
// (show the code form, take a code, send a new one) over another field.
type signUpCodeStep struct {
	title    string // the page's title and heading
	strategy string
	path     string                     // the page; path+"/send" resends
	field    func(store.SignUp) *string // the address or number being verified
}

var (
	emailStep = signUpCodeStep{title: "Verify your email",
		strategy: signin.StrategyEmailCode, path: "/sign-up/verify",
		field: func(s store.SignUp) *string { return s.EmailAddress }}
	phoneStep = signUpCodeStep{title: "Verify your phone number",
		strategy: signin.StrategyPhoneCode, path: "/sign-up/verify-phone",
		field: func(s store.SignUp) *string { return s.PhoneNumber }}
)

func (p *Pages) signUpCodeRoutes(r chi.Router, step signUpCodeStep) {
	h := p.adapt
	r.Get(step.path, h(func(w http.ResponseWriter, r *http.Request) error { return p.signUpCodePage(w, r, step) }))
	r.Post(step.path, h(p.csrf(func(w http.ResponseWriter, r *http.Request) error { return p.signUpCodeSubmit(w, r, step) })))
	r.Post(step.path+"/send", h(p.csrf(func(w http.ResponseWriter, r *http.Request) error { return p.signUpCodeSend(w, r, step) })))
}

// signUpForStep loads the browser's sign-up waiting for step's code; when
// there is none it has already redirected (ok false).
func (p *Pages) signUpForStep(w http.ResponseWriter, r *http.Request, step signUpCodeStep) (*view, signin.SignUpView, bool, error) {
	v, err := p.newView(w, r, step.title)
	if err != nil {
		return nil, signin.SignUpView{}, false, err
	}
	st := stateOf(r)
	if st.client == nil || st.client.SignUpID == nil {
		return v, signin.SignUpView{}, false, p.to(w, r, "/sign-up", v.RedirectURL)
	}
	su, err := p.engine.GetSignUp(r.Context(), st.client.ID, *st.client.SignUpID)
	if err != nil {
		return v, su, false, p.to(w, r, "/sign-up", v.RedirectURL)
	}
	if su.SignUp.Status == signin.Complete {
		return v, su, false, p.done(w, r, v.RedirectURL)
	}
	if su.SignUp.Status != signin.MissingRequirements || step.field(su.SignUp) == nil {
		return v, su, false, p.to(w, r, "/sign-up", v.RedirectURL)
	}
	v.Data = codeData{Heading: step.title, To: *step.field(su.SignUp), Action: step.path,
		Resend: step.path + "/send", Submit: "Verify and continue"}
	return v, su, true, nil
}

func (p *Pages) signUpCodePage(w http.ResponseWriter, r *http.Request, step signUpCodeStep) error {
	v, _, ok, err := p.signUpForStep(w, r, step)
	if !ok || err != nil {
		return err
	}
	return p.render(w, http.StatusOK, "code", v)
}

func (p *Pages) signUpCodeSubmit(w http.ResponseWriter, r *http.Request, step signUpCodeStep) error {
	v, su, ok, err := p.signUpForStep(w, r, step)
	if !ok || err != nil {
		return err
	}
	res, err := p.engine.AttemptSignUpVerification(r.Context(), su.SignUp.ClientID, su.SignUp.ID,
		step.strategy, strings.TrimSpace(r.PostFormValue("code")), clientIP(r))
	if err != nil {
		v.fieldErrors(err, "code")
		return p.render(w, statusFor(err), "code", v)
	}
	return p.signUpNext(w, r, v, res)
}

func (p *Pages) signUpCodeSend(w http.ResponseWriter, r *http.Request, step signUpCodeStep) error {
	v, su, ok, err := p.signUpForStep(w, r, step)
	if !ok || err != nil {
		return err
	}
	if _, err := p.engine.PrepareSignUpVerification(r.Context(), su.SignUp.ClientID, su.SignUp.ID, step.strategy, "", clientIP(r)); err != nil {
		v.fieldErrors(err, "code")
		return p.render(w, statusFor(err), "code", v)
	}
	v.Notice = "We sent a new code."
	return p.render(w, http.StatusOK, "code", v)
}
