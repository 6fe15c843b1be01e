package fapi

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/social"
)

func (a *API) writeSignUp(w http.ResponseWriter, r *http.Request, v signin.SignUpView, err error) error {
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, signUpOf(v))
}

func signUpInput(f *form, r *http.Request) signin.SignUpInput {
	in := signin.SignUpInput{EmailAddress: f.str("email_address"), PhoneNumber: f.str("phone_number"),
		Username: f.str("username"), Password: f.str("password"), FirstName: f.str("first_name"), Web3Wallet: f.str("web3_wallet"), Ticket: f.str("ticket"),
		LastName: f.str("last_name"), LegalAccepted: f.bool("legal_accepted"), Strategy: f.get("strategy"),
		RedirectURL: f.get("redirect_url"), IP: clientIP(r)}
	if m := f.str("unsafe_metadata"); m != nil {
		in.UnsafeMetadata = json.RawMessage(*m)
	}
	return in
}

func (a *API) createSignUp(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	if f.bool("transfer") {
		return a.transferSignUp(w, r)
	}
	in := signUpInput(f, r)
	if signin.IsOAuthStrategy(in.Strategy) {
		return a.createOAuthSignUp(w, r, f, in)
	}
	if err := f.done(); err != nil {
		return err
	}
	c, err := a.ensureClient(w, r)
	if err != nil {
		return err
	}
	v, err := a.Engine.CreateSignUp(r.Context(), c.ID, in)
	return a.writeSignUp(w, r, v, err)
}

func (a *API) getSignUp(w http.ResponseWriter, r *http.Request) error {
	cid, err := existingClientID(r)
	if err != nil {
		return err
	}
	if nonce := r.URL.Query().Get(social.NonceParam); nonce != "" {
		// A native app back from the provider through the system browser.
		if err := a.Engine.ResumeNativeOAuth(r.Context(), cid, clientIP(r), "sign_up", chi.URLParam(r, "id"), nonce); err != nil {
			return err
		}
	}
	v, err := a.Engine.GetSignUp(r.Context(), cid, chi.URLParam(r, "id"))
	return a.writeSignUp(w, r, v, err)
}

func (a *API) updateSignUp(w http.ResponseWriter, r *http.Request) error {
	var in signin.SignUpInput
	cid, err := stepForm(r, func(f *form) { in = signUpInput(f, r) })
	if err != nil {
		return err
	}
	v, err := a.Engine.UpdateSignUp(r.Context(), cid, chi.URLParam(r, "id"), in)
	return a.writeSignUp(w, r, v, err)
}

func (a *API) prepareSignUpVerification(w http.ResponseWriter, r *http.Request) error {
	var strategy, redirect string
	cid, err := stepForm(r, func(f *form) { strategy, redirect = f.get("strategy"), f.get("redirect_url") })
	if err != nil {
		return err
	}
	if signin.IsWeb3Strategy(strategy) {
		v, err := a.Engine.PrepareWeb3SignUp(r.Context(), cid, chi.URLParam(r, "id"), strategy, clientIP(r))
		return a.writeSignUp(w, r, v, err)
	}
	v, err := a.Engine.PrepareSignUpVerification(r.Context(), cid, chi.URLParam(r, "id"), strategy, redirect, clientIP(r))
	return a.writeSignUp(w, r, v, err)
}

func (a *API) attemptSignUpVerification(w http.ResponseWriter, r *http.Request) error {
	var strategy, code, signature string
	cid, err := stepForm(r, func(f *form) { strategy, code, signature = f.get("strategy"), f.get("code"), f.get("signature") })
	if err != nil {
		return err
	}
	if signin.IsWeb3Strategy(strategy) {
		v, err := a.Engine.AttemptWeb3SignUp(r.Context(), cid, chi.URLParam(r, "id"), strategy, signature, clientIP(r))
		return a.writeSignUp(w, r, v, err)
	}
	v, err := a.Engine.AttemptSignUpVerification(r.Context(), cid, chi.URLParam(r, "id"), strategy, code, clientIP(r))
	return a.writeSignUp(w, r, v, err)
}
