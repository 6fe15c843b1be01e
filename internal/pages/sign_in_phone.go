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
	r.Get("/sign-up/verify-phone", h(p.signUpPhonePage))
	r.Post("/sign-up/verify-phone", h(p.csrf(p.signUpPhoneSubmit)))
	r.Post("/sign-up/verify-phone/send", h(p.csrf(p.signUpPhoneSend)))
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
	_, err = p.engine.AttemptFirstFactor(r.Context(), si.SignIn.ClientID, si.SignIn.ID,
		signin.AttemptInput{Strategy: signin.StrategyPhoneCode, Code: strings.TrimSpace(r.PostFormValue("code")), IP: clientIP(r)})
	if err != nil {
		v.fieldErrors(err, "code")
		v.Data = p.phoneCodeData(si)
		return p.render(w, statusFor(err), "code", v)
	}
	// With second factors (the mfa branch), this goes where codeSubmit goes
	// after a first factor.
	return p.done(w, r, v.RedirectURL)
}

// currentPhoneSignUp loads the browser's sign-up waiting for its phone code.
func (p *Pages) currentPhoneSignUp(w http.ResponseWriter, r *http.Request, v *view) (signin.SignUpView, bool, error) {
	st := stateOf(r)
	if st.client == nil || st.client.SignUpID == nil {
		return signin.SignUpView{}, false, p.to(w, r, "/sign-up", v.RedirectURL)
	}
	su, err := p.engine.GetSignUp(r.Context(), st.client.ID, *st.client.SignUpID)
	if err != nil {
		return su, false, p.to(w, r, "/sign-up", v.RedirectURL)
	}
	if su.SignUp.Status == signin.Complete {
		return su, false, p.done(w, r, v.RedirectURL)
	}
	if su.SignUp.Status != signin.MissingRequirements || su.SignUp.PhoneNumber == nil {
		return su, false, p.to(w, r, "/sign-up", v.RedirectURL)
	}
	return su, true, nil
}

func (p *Pages) signUpPhoneData(su signin.SignUpView) codeData {
	return codeData{Heading: "Verify your phone number", To: *su.SignUp.PhoneNumber, Action: "/sign-up/verify-phone",
		Resend: "/sign-up/verify-phone/send", Submit: "Verify and continue"}
}

func (p *Pages) signUpPhonePage(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Verify your phone number")
	if err != nil {
		return err
	}
	su, ok, err := p.currentPhoneSignUp(w, r, v)
	if !ok || err != nil {
		return err
	}
	v.Data = p.signUpPhoneData(su)
	return p.render(w, http.StatusOK, "code", v)
}

func (p *Pages) signUpPhoneSubmit(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Verify your phone number")
	if err != nil {
		return err
	}
	su, ok, err := p.currentPhoneSignUp(w, r, v)
	if !ok || err != nil {
		return err
	}
	res, err := p.engine.AttemptSignUpVerification(r.Context(), su.SignUp.ClientID, su.SignUp.ID,
		signin.StrategyPhoneCode, strings.TrimSpace(r.PostFormValue("code")), clientIP(r))
	if err != nil {
		v.fieldErrors(err, "code")
		v.Data = p.signUpPhoneData(su)
		return p.render(w, statusFor(err), "code", v)
	}
	return p.signUpNext(w, r, v, res)
}

func (p *Pages) signUpPhoneSend(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Verify your phone number")
	if err != nil {
		return err
	}
	su, ok, err := p.currentPhoneSignUp(w, r, v)
	if !ok || err != nil {
		return err
	}
	if _, err := p.engine.PrepareSignUpVerification(r.Context(), su.SignUp.ClientID, su.SignUp.ID, signin.StrategyPhoneCode, "", clientIP(r)); err != nil {
		v.fieldErrors(err, "code")
		v.Data = p.signUpPhoneData(su)
		return p.render(w, statusFor(err), "code", v)
	}
	v.Notice = "We sent a new code."
	v.Data = p.signUpPhoneData(su)
	return p.render(w, http.StatusOK, "code", v)
}

// signUpNext moves a sign-up on after a step: done when complete, otherwise
// to the next verification it waits for (email first, then phone).
func (p *Pages) signUpNext(w http.ResponseWriter, r *http.Request, v *view, su signin.SignUpView) error {
	if su.SignUp.Status == signin.Complete {
		return p.done(w, r, v.RedirectURL)
	}
	for _, f := range su.Unverified {
		strategy, next := signin.StrategyEmailCode, "/sign-up/verify"
		if f == "phone_number" {
			strategy, next = signin.StrategyPhoneCode, "/sign-up/verify-phone"
		} else if f != "email_address" {
			continue
		}
		if _, err := p.engine.PrepareSignUpVerification(r.Context(), su.SignUp.ClientID, su.SignUp.ID, strategy, "", clientIP(r)); err != nil {
			return err
		}
		return p.to(w, r, next, v.RedirectURL)
	}
	return p.to(w, r, "/sign-up", v.RedirectURL)
}
