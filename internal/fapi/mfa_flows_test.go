package fapi_test

// Multi-factor authentication end to end over the frontend API: an
// authenticator app set up from /v1/me/totp, codes computed here with
// pquerna/otp, sign-in stopping at needs_second_factor, backup codes.

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/pquerna/otp"
)

func TestMFATOTPEnrolAndSignIn(t *testing.T) {
	h := start(t)
	b := h.browser()
	u := h.createUser("ada@example.com", "correct horse battery")
	b.signInPassword(t, "ada@example.com", "correct horse battery")
	if f := h.adminFlags(u.ID); f.TwoFactorEnabled || f.TOTPEnabled || f.BackupCodeEnabled {
		t.Fatalf("new user has MFA flags: %+v", f)
	}

	created := b.post("/me/totp", nil).ok(t).totp(t)
	key, err := otp.NewKeyFromURL(*created.URI)
	if err != nil || key.Secret() != *created.Secret || key.Issuer() != appName || key.AccountName() != "ada@example.com" || key.Period() != 30 {
		t.Fatalf("otpauth URI %q: %v", *created.URI, err)
	}
	// A pending app is not a second factor yet.
	if f := h.adminFlags(u.ID); f.TOTPEnabled {
		t.Fatal("totp_enabled before the first code")
	}
	b.post("/me/totp/attempt_verification", form("code", "000000")).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	confirmed := b.post("/me/totp/attempt_verification", form("code", codeAt(t, key.Secret(), h.env.Clock.Now()))).ok(t).totp(t)
	if !confirmed.Verified || len(confirmed.BackupCodes) != 10 {
		t.Fatalf("confirmed: %+v", confirmed)
	}
	// A second app cannot be started over a confirmed one.
	b.post("/me/totp", nil).fails(t, http.StatusUnprocessableEntity, "totp_already_enabled")

	for name, f := range map[string]mfaFlags{"backend": h.adminFlags(u.ID), "frontend": b.frontendFlags(t)} {
		if !f.TwoFactorEnabled || !f.TOTPEnabled || !f.BackupCodeEnabled || f.MFAEnabledAt == nil {
			t.Fatalf("%s API flags after enrolment: %+v", name, f)
		}
	}

	// Signing in again stops after the password.
	b2, si := h.signInToSecondFactor("ada@example.com", "correct horse battery")
	if got := secondFactorStrategies(t, b2, si.ID); !slices.Equal(got, []string{"totp", "backup_code"}) {
		t.Fatalf("supported_second_factors = %v", got)
	}
	if c := b2.client(t); len(c.Sessions) != 0 {
		t.Fatalf("a session exists before the second factor: %+v", c.Sessions)
	}
	// No token can be had, and a first-factor step is refused.
	b2.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "correct horse battery")).
		fails(t, http.StatusUnprocessableEntity, "sign_in_status_invalid")

	// The code that confirmed the app was used in this step: refused.
	b2.attemptSecond(si.ID, "totp", codeAt(t, key.Secret(), h.env.Clock.Now())).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	h.nextStep()
	done := b2.attemptSecond(si.ID, "totp", codeAt(t, key.Secret(), h.env.Clock.Now())).ok(t).signIn(t)
	if done.Status != "complete" || done.CreatedSessionID == nil {
		t.Fatalf("after the code: %+v", done)
	}
	b2.sessionToken(*done.CreatedSessionID).ok(t)
	var sess struct {
		FactorVerificationAge []int64 `json:"factor_verification_age"`
	}
	if err := json.Unmarshal(b2.get("/client/sessions/"+*done.CreatedSessionID).ok(t).Response, &sess); err != nil ||
		len(sess.FactorVerificationAge) != 2 || sess.FactorVerificationAge[1] != 0 {
		t.Fatalf("factor_verification_age = %v (%v)", sess.FactorVerificationAge, err)
	}
}

func TestMFABackupCodes(t *testing.T) {
	h := start(t)
	b := h.browser()
	_, _, codes := h.mfaUser(b, "bea@example.com", "correct horse battery")

	// A backup code signs in once, typed in any case.
	b2, si := h.signInToSecondFactor("bea@example.com", "correct horse battery")
	if done := b2.attemptSecond(si.ID, "backup_code", codes[0]).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("backup code: %+v", done)
	}
	b3, si3 := h.signInToSecondFactor("bea@example.com", "correct horse battery")
	b3.attemptSecond(si3.ID, "backup_code", codes[0]).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	upper := []byte(codes[1])
	for i := range upper {
		if upper[i] >= 'a' && upper[i] <= 'z' {
			upper[i] -= 'a' - 'A'
		}
	}
	if done := b3.attemptSecond(si3.ID, "backup_code", string(upper)).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("second backup code: %+v", done)
	}

	// A new set replaces the old one.
	var fresh struct {
		Object string   `json:"object"`
		Codes  []string `json:"codes"`
	}
	if err := json.Unmarshal(b.post("/me/backup_codes", nil).ok(t).Response, &fresh); err != nil || fresh.Object != "backup_code" || len(fresh.Codes) != 10 {
		t.Fatalf("new backup codes: %+v %v", fresh, err)
	}
	b4, si4 := h.signInToSecondFactor("bea@example.com", "correct horse battery")
	b4.attemptSecond(si4.ID, "backup_code", codes[2]).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	if done := b4.attemptSecond(si4.ID, "backup_code", fresh.Codes[0]).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("new code: %+v", done)
	}
}

func TestMFARemoveTOTP(t *testing.T) {
	h := start(t)
	b := h.browser()
	uid, _, _ := h.mfaUser(b, "cy@example.com", "correct horse battery")
	var del struct {
		Object  string `json:"object"`
		Deleted bool   `json:"deleted"`
	}
	if err := json.Unmarshal(b.do(http.MethodDelete, "/me/totp", nil).ok(t).Response, &del); err != nil || !del.Deleted || del.Object != "totp" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if f := h.adminFlags(uid); f.TwoFactorEnabled || f.TOTPEnabled || f.BackupCodeEnabled {
		t.Fatalf("flags after removal: %+v", f)
	}
	h.browser().signInPassword(t, "cy@example.com", "correct horse battery")
	// Backup codes need an authenticator app.
	b.post("/me/backup_codes", nil).fails(t, http.StatusUnprocessableEntity, "no_second_factors")
	b.do(http.MethodDelete, "/me/totp", nil).fails(t, http.StatusNotFound, "resource_not_found")
}

func TestMFAMeNeedsASession(t *testing.T) {
	h := start(t)
	b := h.browser()
	b.post("/me/totp", nil).fails(t, http.StatusUnauthorized, "signed_out")
	b.get("/client")
	b.post("/me/backup_codes", nil).fails(t, http.StatusUnauthorized, "signed_out")
	b.post("/me/totp/attempt_verification", form("code", "123456")).fails(t, http.StatusUnauthorized, "signed_out")
}

func TestMFAStrategiesSwitchable(t *testing.T) {
	t.Run("totp off", func(t *testing.T) {
		h := start(t, func(c *configT) { c.Auth.SecondFactors.TOTP, c.Auth.SecondFactors.BackupCode = false, false })
		b := h.browser()
		h.createUser("dee@example.com", "correct horse battery")
		b.signInPassword(t, "dee@example.com", "correct horse battery")
		b.post("/me/totp", nil).fails(t, http.StatusForbidden, "feature_not_enabled")
	})
	t.Run("backup codes off", func(t *testing.T) {
		h := start(t, func(c *configT) { c.Auth.SecondFactors.BackupCode = false })
		b := h.browser()
		uid, secret, codes := h.mfaUser(b, "eve@example.com", "correct horse battery")
		if len(codes) != 0 || h.adminFlags(uid).BackupCodeEnabled {
			t.Fatalf("backup codes made while off: %v", codes)
		}
		b.post("/me/backup_codes", nil).fails(t, http.StatusForbidden, "feature_not_enabled")
		// Only the authenticator app is offered, and a code from it completes the sign-in.
		b2, si := h.signInToSecondFactor("eve@example.com", "correct horse battery")
		if got := secondFactorStrategies(t, b2, si.ID); !slices.Equal(got, []string{"totp"}) {
			t.Fatalf("supported_second_factors = %v", got)
		}
		h.nextStep()
		if done := b2.attemptSecond(si.ID, "totp", codeAt(t, secret, h.env.Clock.Now())).ok(t).signIn(t); done.Status != "complete" {
			t.Fatalf("totp with backup codes off: %+v", done)
		}
	})
}

func TestMFAPrepareSecondFactor(t *testing.T) {
	h := start(t)
	b := h.browser()
	h.mfaUser(b, "fay@example.com", "correct horse battery")
	b2, si := h.signInToSecondFactor("fay@example.com", "correct horse battery")
	b2.post("/client/sign_ins/"+si.ID+"/prepare_second_factor", form("strategy", "totp")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	// SMS second factors are not offered (no SMS delivery yet).
	b2.post("/client/sign_ins/"+si.ID+"/prepare_second_factor", form("strategy", "phone_code")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	b2.attemptSecond(si.ID, "phone_code", "123456").fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	b2.attemptSecond(si.ID, "email_code", "123456").fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	b2.attemptSecond(si.ID, "totp", "").fails(t, http.StatusUnprocessableEntity, "form_param_missing")
	// A sign-in still waiting for its first factor cannot take a second one.
	b3 := h.browser()
	first := b3.startSignIn(t, "fay@example.com")
	b3.attemptSecond(first.ID, "totp", "123456").fails(t, http.StatusUnprocessableEntity, "sign_in_status_invalid")
}
