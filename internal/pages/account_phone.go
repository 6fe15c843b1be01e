package pages

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/store"
)

// The account page's phone numbers: add one (verified by a texted code),
// verify, make primary, remove. Shown when phone numbers are an identifier.
func (p *Pages) phoneRoutes(r chi.Router) {
	h := p.adapt
	r.Post("/user/phones", h(p.csrf(p.signedIn(p.phoneAdd))))
	r.Post("/user/phones/{id}/send", h(p.csrf(p.signedIn(p.phoneSend))))
	r.Get("/user/phones/{id}/verify", h(p.signedIn(p.phoneVerifyPage)))
	r.Post("/user/phones/{id}/verify", h(p.csrf(p.signedIn(p.phoneVerifySubmit))))
	r.Post("/user/phones/{id}/primary", h(p.csrf(p.signedIn(p.phonePrimary))))
	r.Post("/user/phones/{id}/delete", h(p.csrf(p.signedIn(p.phoneDelete))))
}

type phoneRow struct {
	ID, Number        string
	Verified, Primary bool
}

// phoneRows lists the user's numbers for the account page.
func phoneRows(u store.User) []phoneRow {
	var out []phoneRow
	for _, i := range u.Identifications {
		if i.Type == store.TypePhone {
			out = append(out, phoneRow{ID: i.ID, Number: i.Identifier, Verified: i.Verified,
				Primary: u.PrimaryPhoneNumberID != nil && *u.PrimaryPhoneNumberID == i.ID})
		}
	}
	return out
}

// phoneAdd adds a number and texts it a code. A number outside the SMS
// allowlist is refused before anything is stored.
func (p *Pages) phoneAdd(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	raw := strings.TrimSpace(r.PostFormValue("phone_number"))
	if raw != "" {
		if err := p.engine.CheckSMSCountry("phone_number", raw); err != nil {
			return p.accountError(w, r, cu, err, "phone_number")
		}
	}
	idn, err := p.users.AddIdentification(r.Context(), identity.AddIdentificationInput{Type: store.TypePhone, BySelf: true,
		UserID: cu.user.ID, PhoneNumber: raw})
	if err != nil {
		return p.accountError(w, r, cu, err, "phone_number")
	}
	if err := p.engine.PreparePhoneVerification(r.Context(), cu.session.ClientID, cu.user.ID, idn.ID, clientIP(r)); err != nil {
		return p.accountError(w, r, cu, err, "phone_number")
	}
	http.Redirect(w, r, "/user/phones/"+idn.ID+"/verify", http.StatusSeeOther)
	return nil
}

func (p *Pages) phoneSend(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	id := chi.URLParam(r, "id")
	if err := p.engine.PreparePhoneVerification(r.Context(), cu.session.ClientID, cu.user.ID, id, clientIP(r)); err != nil {
		return p.accountError(w, r, cu, err)
	}
	http.Redirect(w, r, "/user/phones/"+id+"/verify", http.StatusSeeOther)
	return nil
}

func (p *Pages) phoneOf(cu ctxUser, id string) (store.Identification, error) {
	for _, i := range cu.user.Identifications {
		if i.ID == id && i.Type == store.TypePhone {
			return i, nil
		}
	}
	return store.Identification{}, apperr.NotFound()
}

func (p *Pages) phoneVerifyView(w http.ResponseWriter, r *http.Request, cu ctxUser) (*view, error) {
	idn, err := p.phoneOf(cu, chi.URLParam(r, "id"))
	if err != nil {
		return nil, err
	}
	v, err := p.newView(w, r, "Verify your phone number")
	if err != nil {
		return nil, err
	}
	v.Data = codeData{Heading: "Verify your phone number", To: idn.Identifier, Action: "/user/phones/" + idn.ID + "/verify",
		Resend: "/user/phones/" + idn.ID + "/send", Submit: "Verify"}
	return v, nil
}

func (p *Pages) phoneVerifyPage(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	v, err := p.phoneVerifyView(w, r, cu)
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, "code", v)
}

func (p *Pages) phoneVerifySubmit(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	v, err := p.phoneVerifyView(w, r, cu)
	if err != nil {
		return err
	}
	err = p.engine.AttemptPhoneVerification(r.Context(), cu.user.ID, chi.URLParam(r, "id"), strings.TrimSpace(r.PostFormValue("code")), clientIP(r))
	if err != nil {
		v.fieldErrors(err, "code")
		return p.render(w, statusFor(err), "code", v)
	}
	return p.back(w, r, "phone_verified")
}

func (p *Pages) phonePrimary(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	idn, err := p.phoneOf(cu, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if !idn.Verified {
		return p.accountError(w, r, cu, apperr.New(apperr.KindInvalid, "not_verified", "Verify it first",
			"Verify this phone number before making it your primary one."))
	}
	primary := true
	if _, err := p.users.UpdateIdentification(r.Context(), store.TypePhone, idn.ID, identity.UpdateIdentificationInput{Primary: &primary}); err != nil {
		return p.accountError(w, r, cu, err)
	}
	return p.back(w, r, "phone_primary")
}

func (p *Pages) phoneDelete(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	idn, err := p.phoneOf(cu, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if err := p.users.DeleteIdentification(r.Context(), store.TypePhone, idn.ID); err != nil {
		return p.accountError(w, r, cu, err)
	}
	return p.back(w, r, "phone_removed")
}
