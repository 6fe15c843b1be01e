package pages

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/signin"
)

// phoneFlowRoutes are the hosted pages' phone_code steps: signing in with a
// texted code, and verifying the number given at sign-up.
func (p *Pages) phoneFlowRoutes(r chi.Router) {
	h := p.adapt
	r.Post("/sign-in/phone/send", h(p.csrf(p.phoneCodeSend)))
	r.Get("/sign-in/phone", h(p.phoneCodePage))
	r.Post("/sign-in/phone", h(p.csrf(p.phoneCodeSubmit)))
	p.signUpCodeRoutes(r, phoneStep)
}

func (p *Pages) phoneCodeSend(w http.ResponseWriter, r *http.Request) error {
	return p.prepare(w, r, signin.StrategyPhoneCode, "/sign-in/phone")
}

func (p *Pages) phoneCodeData(si signin.SignInView) codeData {
	return codeData{Heading: "Check your phone", To: p.safeTo(si, signin.StrategyPhoneCode),
		Action: "/sign-in/phone", Resend: "/sign-in/phone/send", Submit: "Continue"}
}

func (p *Pages) phoneCodePage(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Enter your code", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	v.Data = p.phoneCodeData(si)
	return p.render(w, http.StatusOK, "code", v)
}

func (p *Pages) phoneCodeSubmit(w http.ResponseWriter, r *http.Request) error {
	v, si, ok, err := p.flowStep(w, r, "Enter your code", signin.NeedsFirstFactor)
	if !ok || err != nil {
		return err
	}
	res, err := p.engine.AttemptFirstFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID,
		signin.AttemptInput{Strategy: signin.StrategyPhoneCode, Code: strings.TrimSpace(r.PostFormValue("code")), IP: clientIP(r)})
	if err != nil {
		v.fieldErrors(err, "code")
		v.Data = p.phoneCodeData(si)
		return p.render(w, statusFor(err), "code", v)
	}
	return p.afterFirstFactor(w, r, res, v.RedirectURL)
}

// signUpNext moves a sign-up on after a step: done when complete, otherwise
// to the next verification it waits for (email first, then phone).
func (p *Pages) signUpNext(w http.ResponseWriter, r *http.Request, v *view, su signin.SignUpView) error {
	if su.SignUp.Status == signin.Complete {
		return p.done(w, r, v.RedirectURL)
	}
	for _, f := range su.Unverified {
		step := emailStep
		if f == "phone_number" {
			step = phoneStep
		} else if f != "email_address" {
			continue
		}
		if _, err := p.engine.PrepareSignUpVerification(r.Context(), su.SignUp.ClientID, su.SignUp.ID, step.strategy, "", clientIP(r)); err != nil {
			return err
		}
		return p.to(w, r, step.path, v.RedirectURL)
	}
	return p.to(w, r, "/sign-up", v.RedirectURL)
}
