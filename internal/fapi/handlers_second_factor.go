package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/signin"
)

// mfaFactorJSON is one of supported_second_factors, in Clerk's shape:
// {"strategy": "totp"}, {"strategy": "phone_code", "safe_identifier":
// "+*********42", "phone_number_id": "idn_...", "default": true}.
type mfaFactorJSON struct {
	Strategy       string `json:"strategy"`
	SafeIdentifier string `json:"safe_identifier,omitempty"`
	PhoneNumberID  string `json:"phone_number_id,omitempty"`
	Default        bool   `json:"default,omitempty"`
}

// secondFactorsOf is a sign-in's supported_second_factors: null until the
// first factor is proved, then the user's enrolled strategies.
func secondFactorsOf(v signin.SignInView) []mfaFactorJSON {
	if v.SignIn.Status != signin.NeedsSecondFactor {
		return nil
	}
	out := []mfaFactorJSON{}
	for _, f := range v.SecondFactors {
		out = append(out, mfaFactorJSON{Strategy: f.Strategy, SafeIdentifier: f.SafeIdentifier,
			PhoneNumberID: f.PhoneNumberID, Default: f.Primary})
	}
	return out
}

func (a *API) prepareSecondFactor(w http.ResponseWriter, r *http.Request) error {
	var in signin.PrepareSecondInput
	cid, err := stepForm(r, func(f *form) {
		in = signin.PrepareSecondInput{Strategy: f.get("strategy"), PhoneNumberID: f.get("phone_number_id"), IP: clientIP(r)}
	})
	if err != nil {
		return err
	}
	v, err := a.Engine.PrepareSecondFactor(r.Context(), cid, chi.URLParam(r, "id"), in)
	return a.writeSignIn(w, r, v, err)
}

func (a *API) attemptSecondFactor(w http.ResponseWriter, r *http.Request) error {
	var in signin.AttemptInput
	cid, err := stepForm(r, func(f *form) {
		in = signin.AttemptInput{Strategy: f.get("strategy"), Code: f.get("code"), IP: clientIP(r)}
	})
	if err != nil {
		return err
	}
	v, err := a.Engine.AttemptSecondFactor(r.Context(), cid, chi.URLParam(r, "id"), in)
	return a.writeSignIn(w, r, v, err)
}
