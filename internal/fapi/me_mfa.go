package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

// mfaRoutes are the signed-in user's second-factor endpoints under /v1/me.
func (a *API) mfaRoutes(r chi.Router) {
	h := httpx.Adapt
	r.Post("/me/totp", h(a.createTOTP))
	r.Delete("/me/totp", h(a.deleteTOTP))
	r.Post("/me/totp/attempt_verification", h(a.verifyTOTP))
	r.Post("/me/backup_codes", h(a.createBackupCodes))
	r.Patch("/me/phone_numbers/{id}", h(a.updateMyPhone))
}

// totpJSON is Clerk's TOTP object. The secret and URI appear only in the
// answer that creates them; backup codes only in the one that makes them.
type totpJSON struct {
	Object      string   `json:"object"`
	ID          string   `json:"id"`
	Secret      *string  `json:"secret"`
	URI         *string  `json:"uri"`
	Verified    bool     `json:"verified"`
	BackupCodes []string `json:"backup_codes"`
	CreatedAt   int64    `json:"created_at"`
	UpdatedAt   int64    `json:"updated_at"`
}

func totpOf(t store.TOTP) totpJSON {
	return totpJSON{Object: "totp", ID: t.ID, Verified: t.VerifiedAt != nil,
		CreatedAt: present.Ms(t.CreatedAt), UpdatedAt: present.Ms(t.UpdatedAt)}
}

func (a *API) createTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := meForm(r, func(*form) {}); err != nil {
		return err
	}
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	e, err := a.MFA.CreateTOTP(r.Context(), u.ID, present.PrimaryIdentifier(u))
	if err != nil {
		return err
	}
	out := totpOf(e.TOTP)
	out.Secret, out.URI = &e.Secret, &e.URI
	return a.writeResponse(w, r, out)
}

func (a *API) verifyTOTP(w http.ResponseWriter, r *http.Request) error {
	var code string
	if err := meForm(r, func(f *form) { code = f.get("code") }); err != nil {
		return err
	}
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	t, codes, err := a.MFA.VerifyTOTP(r.Context(), u.ID, code)
	if err != nil {
		return err
	}
	out := totpOf(t)
	out.BackupCodes = codes
	return a.writeResponse(w, r, out)
}

func (a *API) deleteTOTP(w http.ResponseWriter, r *http.Request) error {
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	t, err := a.MFA.DeleteTOTP(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, present.DeletedOf("totp", t.ID))
}

type backupCodesJSON struct {
	Object    string   `json:"object"`
	ID        string   `json:"id"`
	Codes     []string `json:"codes"`
	CreatedAt int64    `json:"created_at"`
	UpdatedAt int64    `json:"updated_at"`
}

func (a *API) createBackupCodes(w http.ResponseWriter, r *http.Request) error {
	if err := meForm(r, func(*form) {}); err != nil {
		return err
	}
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	codes, err := a.MFA.CreateBackupCodes(r.Context(), u.ID)
	if err != nil {
		return err
	}
	now := present.Ms(a.Sessions.Now())
	return a.writeResponse(w, r, backupCodesJSON{Object: "backup_code", ID: mfa.BackupCodesID(u.ID),
		Codes: codes, CreatedAt: now, UpdatedAt: now})
}

// updateMyPhone is PATCH /v1/me/phone_numbers/{id}: whether the number is
// reserved for texted second-factor codes, and whether it is the default.
func (a *API) updateMyPhone(w http.ResponseWriter, r *http.Request) error {
	var in mfa.PhoneSettings
	err := meForm(r, func(f *form) {
		for name, dst := range map[string]**bool{"reserved_for_second_factor": &in.Reserved, "default_second_factor": &in.Default} {
			if v := f.str(name); v != nil {
				b := *v == "true"
				*dst = &b
			}
		}
	})
	if err != nil {
		return err
	}
	_, u, idn, err := a.myPhone(r)
	if err != nil {
		return err
	}
	idn, err = a.MFA.SetPhoneSecondFactor(r.Context(), u.ID, idn.ID, in)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.phoneJSON(r, idn))
}
