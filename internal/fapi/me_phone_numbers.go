package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/store"
)

// mePhoneRoutes are the signed-in user's phone numbers, as Clerk's
// /v1/me/phone_numbers: add one (inside the SMS allowlist), verify it with a
// texted code, list, read and remove them.
func (a *API) mePhoneRoutes(r chi.Router) {
	h := httpx.Adapt
	r.Get("/me/phone_numbers", h(a.listMyPhones))
	r.Post("/me/phone_numbers", h(a.addMyPhone))
	r.Get("/me/phone_numbers/{id}", h(a.getMyPhone))
	r.Delete("/me/phone_numbers/{id}", h(a.deleteMyPhone))
	r.Post("/me/phone_numbers/{id}/prepare_verification", h(a.prepareMyPhone))
	r.Post("/me/phone_numbers/{id}/attempt_verification", h(a.attemptMyPhone))
}

// myPhone finds one of the signed-in user's phone numbers; another user's
// id is a 404 like an unknown one.
func (a *API) myPhone(r *http.Request) (store.Session, store.User, store.Identification, error) {
	s, u, err := a.meSession(r)
	if err != nil {
		return s, u, store.Identification{}, err
	}
	id := chi.URLParam(r, "id")
	for _, i := range u.Identifications {
		if i.ID == id && i.Type == store.TypePhone {
			return s, u, i, nil
		}
	}
	return s, u, store.Identification{}, apperr.NotFound()
}

// phoneJSON is Clerk's phone number object; an unverified number shows the
// code in progress (status, attempts, expiry) as its verification.
func (a *API) phoneJSON(r *http.Request, idn store.Identification) present.PhoneNumber {
	out := present.PhoneNumberOf(idn)
	if ver := a.Engine.PendingPhoneVerification(r.Context(), idn); ver != nil {
		attempts, expire := ver.Attempts, present.Ms(ver.ExpireAt)
		out.Verification = &present.Verification{Object: "verification_otp", Status: ver.Status,
			Strategy: signin.StrategyPhoneCode, Attempts: &attempts, ExpireAt: &expire}
	}
	return out
}

func (a *API) listMyPhones(w http.ResponseWriter, r *http.Request) error {
	_, u, err := a.meSession(r)
	if err != nil {
		return err
	}
	out := []present.PhoneNumber{}
	for _, i := range u.Identifications {
		if i.Type == store.TypePhone {
			out = append(out, a.phoneJSON(r, i))
		}
	}
	return a.writeResponse(w, r, out)
}

func (a *API) getMyPhone(w http.ResponseWriter, r *http.Request) error {
	_, _, idn, err := a.myPhone(r)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.phoneJSON(r, idn))
}

// addMyPhone adds an unverified number. A number outside the SMS allowlist
// is refused before anything is stored.
func (a *API) addMyPhone(w http.ResponseWriter, r *http.Request) error {
	_, u, err := a.meSession(r)
	if err != nil {
		return err
	}
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	in := identity.AddIdentificationInput{Type: store.TypePhone, UserID: u.ID, PhoneNumber: f.get("phone_number"), BySelf: true}
	if f.str("reserved_for_second_factor") != nil {
		v := f.bool("reserved_for_second_factor")
		in.ReservedForSecondFactor = &v
	}
	if err := f.done(); err != nil {
		return err
	}
	if in.PhoneNumber != "" {
		if err := a.Engine.CheckSMSCountry("phone_number", in.PhoneNumber); err != nil {
			return err
		}
	}
	idn, err := a.Users.AddIdentification(r.Context(), in)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.phoneJSON(r, idn))
}

func (a *API) prepareMyPhone(w http.ResponseWriter, r *http.Request) error {
	s, u, idn, err := a.myPhone(r)
	if err != nil {
		return err
	}
	var strategy string
	if err := meForm(r, func(f *form) { strategy = f.get("strategy") }); err != nil {
		return err
	}
	if strategy != signin.StrategyPhoneCode {
		return apperr.ParamValueInvalid("strategy", "strategy must be phone_code.")
	}
	if err := a.Engine.PreparePhoneVerification(r.Context(), s.ClientID, u.ID, idn.ID, clientIP(r)); err != nil {
		return err
	}
	return a.writeResponse(w, r, a.phoneJSON(r, idn))
}

func (a *API) attemptMyPhone(w http.ResponseWriter, r *http.Request) error {
	_, u, idn, err := a.myPhone(r)
	if err != nil {
		return err
	}
	var code string
	if err := meForm(r, func(f *form) { code = f.get("code") }); err != nil {
		return err
	}
	if err := a.Engine.AttemptPhoneVerification(r.Context(), u.ID, idn.ID, code, clientIP(r)); err != nil {
		return err
	}
	fresh, err := a.Users.GetIdentification(r.Context(), store.TypePhone, idn.ID)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.phoneJSON(r, fresh))
}

func (a *API) deleteMyPhone(w http.ResponseWriter, r *http.Request) error {
	_, _, idn, err := a.myPhone(r)
	if err != nil {
		return err
	}
	if err := a.Users.DeleteIdentification(r.Context(), store.TypePhone, idn.ID); err != nil {
		return err
	}
	return a.writeResponse(w, r, present.DeletedOf("phone_number", idn.ID))
}
