package pages

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

// The account page's two-step verification: set up an authenticator app
// (QR code and secret, confirmed by a first code), remove it, and make a
// new set of backup codes, shown once.
func (p *Pages) mfaRoutes(r chi.Router) {
	h := p.adapt
	r.Post("/user/totp/new", h(p.csrf(p.signedIn(p.totpNew))))
	r.Get("/user/totp", h(p.signedIn(p.totpSetupPage)))
	r.Post("/user/totp/verify", h(p.csrf(p.signedIn(p.totpVerify))))
	r.Post("/user/totp/delete", h(p.csrf(p.signedIn(p.totpDelete))))
	r.Post("/user/backup_codes", h(p.csrf(p.signedIn(p.backupCodesNew))))
	r.Post("/user/phones/{id}/second_factor", h(p.csrf(p.signedIn(p.phoneSecondFactor))))
}

func init() {
	notices["totp_on"] = "Two-step verification is on: you will be asked for a code from your authenticator app when you sign in."
	notices["totp_off"] = "Your authenticator app was removed."
	notices["sms_2fa_on"] = "You will be asked for a code texted to this number when you sign in."
	notices["sms_2fa_off"] = "This number is no longer used for two-step verification."
}

// accountMFA is the account page's two-step verification section.
type accountMFA struct {
	TOTPOn, BackupOn, PhoneOn bool // switched on for the instance (PhoneOn: and texts can be sent)
	TOTP, BackupCodes         bool // the user's enrolments
	Phones                    []mfaPhone
	Any                       bool // some second factor is on: backup codes can be made
}

// mfaPhone is a verified number, which can be reserved for SMS codes.
type mfaPhone struct {
	ID, Number string
	Reserved   bool
}

func (p *Pages) accountMFAOf(u store.User) accountMFA {
	sf := p.config.Auth.SecondFactors
	d := accountMFA{TOTPOn: sf.TOTP, BackupOn: sf.BackupCode, PhoneOn: sf.PhoneCode && p.engine.SMSReady(),
		TOTP: u.TOTPEnabled, BackupCodes: u.BackupCodeEnabled}
	for _, i := range u.Identifications {
		if d.PhoneOn && i.Type == store.TypePhone && i.Verified {
			d.Phones = append(d.Phones, mfaPhone{ID: i.ID, Number: i.Identifier, Reserved: i.ReservedForSecondFactor})
		}
	}
	d.Any = (d.TOTPOn && d.TOTP) || (d.PhoneOn && u.PhoneSecondFactor())
	return d
}

// phoneSecondFactor reserves a verified number of the user for SMS codes
// at sign-in (on=true), or releases it.
func (p *Pages) phoneSecondFactor(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	idn, err := p.phoneOf(cu, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	on := r.PostFormValue("on") == "true"
	if _, err := p.MFA.SetPhoneSecondFactor(r.Context(), cu.user.ID, idn.ID, mfa.PhoneSettings{Reserved: &on}); err != nil {
		return p.accountError(w, r, cu, err)
	}
	if on {
		return p.back(w, r, "sms_2fa_on")
	}
	return p.back(w, r, "sms_2fa_off")
}

func (p *Pages) totpNew(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	if _, err := p.MFA.CreateTOTP(r.Context(), cu.user.ID, present.PrimaryIdentifier(cu.user)); err != nil {
		return p.accountError(w, r, cu, err)
	}
	http.Redirect(w, r, "/user/totp", http.StatusSeeOther)
	return nil
}

type totpSetupData struct {
	Secret, URI string
	// QR is a data: URI made here from the secret; html/template would
	// replace an untyped data: URI in src with #ZgotmplZ.
	QR template.URL
}

// totpSetupView shows the pending enrolment; none sends the person back to
// the account page.
func (p *Pages) totpSetupView(w http.ResponseWriter, r *http.Request, cu ctxUser) (*view, bool, error) {
	e, err := p.MFA.PendingTOTP(r.Context(), cu.user.ID, present.PrimaryIdentifier(cu.user))
	if err != nil {
		http.Redirect(w, r, "/user", http.StatusSeeOther)
		return nil, false, nil
	}
	qr, err := mfa.QRCode(e.URI)
	if err != nil {
		return nil, false, err
	}
	v, err := p.newView(w, r, "Set up an authenticator app")
	if err != nil {
		return nil, false, err
	}
	v.Data = totpSetupData{Secret: e.Secret, URI: e.URI, QR: template.URL(qr)}
	return v, true, nil
}

func (p *Pages) totpSetupPage(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	v, ok, err := p.totpSetupView(w, r, cu)
	if !ok || err != nil {
		return err
	}
	return p.render(w, http.StatusOK, "totp_setup", v)
}

func (p *Pages) totpVerify(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	_, codes, err := p.MFA.VerifyTOTP(r.Context(), cu.user.ID, strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		v, ok, verr := p.totpSetupView(w, r, cu)
		if !ok || verr != nil {
			return verr
		}
		v.fieldErrors(err, "code")
		return p.render(w, statusFor(err), "totp_setup", v)
	}
	if len(codes) > 0 {
		return p.showBackupCodes(w, r, codes, true)
	}
	return p.back(w, r, "totp_on")
}

func (p *Pages) totpDelete(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	if _, err := p.MFA.DeleteTOTP(r.Context(), cu.user.ID); err != nil {
		return p.accountError(w, r, cu, err)
	}
	return p.back(w, r, "totp_off")
}

func (p *Pages) backupCodesNew(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	codes, err := p.MFA.CreateBackupCodes(r.Context(), cu.user.ID)
	if err != nil {
		return p.accountError(w, r, cu, err)
	}
	return p.showBackupCodes(w, r, codes, false)
}

type backupCodesData struct {
	Codes  []string
	JustOn bool // shown right after turning two-step verification on
}

// showBackupCodes renders the codes in the answer to the POST that made
// them: they are never stored in the clear, so this page is the only time
// they can be seen (and no-store keeps it out of caches).
func (p *Pages) showBackupCodes(w http.ResponseWriter, r *http.Request, codes []string, justOn bool) error {
	v, err := p.newView(w, r, "Your backup codes")
	if err != nil {
		return err
	}
	v.Data = backupCodesData{Codes: codes, JustOn: justOn}
	return p.render(w, http.StatusOK, "backup_codes", v)
}
