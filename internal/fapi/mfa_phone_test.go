package fapi_test

// phone_code as a second factor over the frontend API, texted through the
// Twilio adapter to the local fake provider.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"

	"github.com/latchkey/latchkey/internal/config"
)

const secondFactorNumber = "+15555550142"

// startPhone2FA runs the server with phone_code as a second factor only
// (not a first factor) and a user with a verified number reserved for it.
func startPhone2FA(t *testing.T, mutate ...func(*config.Config)) (*phoneHarness, string, string) {
	h := startPhone(t, append([]func(*config.Config){func(c *config.Config) {
		c.Auth.FirstFactors.PhoneCode = false
		c.Auth.SecondFactors.PhoneCode = true
	}}, mutate...)...)
	u := h.createUser("pia@example.com", "correct horse battery")
	phones := phonenumber.NewClient(h.operatorConfig())
	ctx := context.Background()
	ph, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(u.ID), PhoneNumber: clerk.String(secondFactorNumber), Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := phones.Update(ctx, ph.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	return h, u.ID, ph.ID
}

func (b *browser) prepareSecond(signInID string, kv ...string) *resp {
	b.h.t.Helper()
	return b.post("/client/sign_ins/"+signInID+"/prepare_second_factor", form(append([]string{"strategy", "phone_code"}, kv...)...))
}

func TestMFAPhoneCodeSecondFactor(t *testing.T) {
	h, _, phoneID := startPhone2FA(t)
	b, si := h.signInToSecondFactor("pia@example.com", "correct horse battery")
	var raw struct {
		SupportedSecondFactors []struct {
			Strategy       string `json:"strategy"`
			SafeIdentifier string `json:"safe_identifier"`
			PhoneNumberID  string `json:"phone_number_id"`
		} `json:"supported_second_factors"`
	}
	if err := json.Unmarshal(b.get("/client/sign_ins/"+si.ID).ok(t).Response, &raw); err != nil {
		t.Fatal(err)
	}
	if f := raw.SupportedSecondFactors; len(f) != 1 || f[0].Strategy != "phone_code" || f[0].PhoneNumberID != phoneID || f[0].SafeIdentifier != "+*********42" {
		t.Fatalf("supported_second_factors = %+v", f)
	}
	b.attemptSecond(si.ID, "phone_code", "123456").fails(t, http.StatusUnprocessableEntity, "verification_missing")
	b.prepareSecond(si.ID, "phone_number_id", "idn_someoneelse").fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	prepared := b.prepareSecond(si.ID, "phone_number_id", phoneID).ok(t)
	var sv struct {
		SecondFactorVerification *verificationObj `json:"second_factor_verification"`
	}
	if err := json.Unmarshal(prepared.Response, &sv); err != nil || sv.SecondFactorVerification == nil ||
		sv.SecondFactorVerification.Strategy != "phone_code" || sv.SecondFactorVerification.Status != "unverified" {
		t.Fatalf("after prepare: %s", prepared.Body)
	}
	code := h.textCode(secondFactorNumber)
	b.attemptSecond(si.ID, "phone_code", wrongOf(code, 0)).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	if done := b.attemptSecond(si.ID, "phone_code", code).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("right code: %+v", done)
	}

	// With a texted code as their second factor the user may make backup codes.
	if err := json.Unmarshal(b.post("/me/backup_codes", nil).ok(t).Response, &struct{}{}); err != nil {
		t.Fatal(err)
	}
	b2, si2 := h.signInToSecondFactor("pia@example.com", "correct horse battery")
	if got := secondFactorStrategies(t, b2, si2.ID); !slices.Equal(got, []string{"phone_code", "backup_code"}) {
		t.Fatalf("supported_second_factors = %v", got)
	}
}

// Texting a new code does not buy more guesses on the same sign-in, and an
// expired code is refused without counting.
func TestMFAPhoneCodeAttemptsSurviveResend(t *testing.T) {
	h, _, _ := startPhone2FA(t)
	b, si := h.signInToSecondFactor("pia@example.com", "correct horse battery")
	b.prepareSecond(si.ID).ok(t)
	code := h.textCode(secondFactorNumber)
	for i := 0; i < 4; i++ {
		b.attemptSecond(si.ID, "phone_code", wrongOf(code, i)).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	b.prepareSecond(si.ID).ok(t)
	code = h.textCode(secondFactorNumber)
	b.attemptSecond(si.ID, "phone_code", wrongOf(code, 9)).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	b.prepareSecond(si.ID).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	b.attemptSecond(si.ID, "phone_code", code).fails(t, http.StatusUnprocessableEntity, "verification_failed")

	b2, si2 := h.signInToSecondFactor("pia@example.com", "correct horse battery")
	b2.prepareSecond(si2.ID).ok(t)
	code = h.textCode(secondFactorNumber)
	h.env.Clock.Advance(11 * time.Minute)
	b2.attemptSecond(si2.ID, "phone_code", code).fails(t, http.StatusUnprocessableEntity, "verification_expired")
	b2.prepareSecond(si2.ID).ok(t)
	if done := b2.attemptSecond(si2.ID, "phone_code", h.textCode(secondFactorNumber)).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("a fresh code: %+v", done)
	}
}

// Second-factor texts count against the text limits like any other: a
// leaked password must not turn the server into an SMS cannon.
func TestMFAPhoneCodeRateLimited(t *testing.T) {
	h, _, _ := startPhone2FA(t, func(c *config.Config) { c.Auth.RateLimits.EmailsPerMinute = 2 })
	b, si := h.signInToSecondFactor("pia@example.com", "correct horse battery")
	b.prepareSecond(si.ID).ok(t)
	b.prepareSecond(si.ID).ok(t)
	b.prepareSecond(si.ID).fails(t, http.StatusTooManyRequests, "too_many_requests")
	h.env.Clock.Advance(time.Minute) // the next window
	b.prepareSecond(si.ID).ok(t)
}

// wrongOf is a six-digit code other than code.
func wrongOf(code string, i int) string {
	c := []byte("00000" + string(rune('0'+i%10)))
	if string(c) == code {
		c[0] = '1'
	}
	return string(c)
}

// The user reserves a number for texted codes from the frontend API, as
// Clerk's PATCH /v1/me/phone_numbers/{id} does.
func TestMFAPhoneReserveFromFrontendAPI(t *testing.T) {
	h := startPhone(t, func(c *config.Config) { c.Auth.SecondFactors.PhoneCode = true })
	u := h.createUser("rex@example.com", "correct horse battery")
	phones := phonenumber.NewClient(h.operatorConfig())
	ctx := context.Background()
	verified, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(u.ID), PhoneNumber: clerk.String("+15555550160"), Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	unverified, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(u.ID), PhoneNumber: clerk.String("+15555550161")})
	if err != nil {
		t.Fatal(err)
	}
	other := h.createPhoneUser("+15555550162", "correct horse battery")
	b := h.browser()
	b.signInPassword(t, "rex@example.com", "correct horse battery")
	patch := func(id string, kv ...string) *resp {
		return b.do(http.MethodPatch, "/me/phone_numbers/"+id, form(kv...))
	}

	patch(unverified.ID, "reserved_for_second_factor", "true").fails(t, http.StatusUnprocessableEntity, "phone_number_not_verified")
	patch(other.PhoneNumbers[0].ID, "reserved_for_second_factor", "true").fails(t, http.StatusNotFound, "resource_not_found")
	patch(verified.ID, "color", "blue").fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
	var ph struct {
		Object   string `json:"object"`
		Reserved bool   `json:"reserved_for_second_factor"`
		Default  bool   `json:"default_second_factor"`
	}
	if err := json.Unmarshal(patch(verified.ID, "default_second_factor", "true").ok(t).Response, &ph); err != nil ||
		ph.Object != "phone_number" || !ph.Reserved || !ph.Default {
		t.Fatalf("after default_second_factor: %+v %v", ph, err)
	}
	if f := h.adminFlags(u.ID); !f.TwoFactorEnabled || f.TOTPEnabled {
		t.Fatalf("flags: %+v", f)
	}
	b.post("/me/backup_codes", nil).ok(t)
	if f := h.adminFlags(u.ID); !f.BackupCodeEnabled {
		t.Fatalf("flags with backup codes: %+v", f)
	}
	// Released, the number was the last second factor: backup codes go too.
	if err := json.Unmarshal(patch(verified.ID, "reserved_for_second_factor", "false").ok(t).Response, &ph); err != nil || ph.Reserved || ph.Default {
		t.Fatalf("after release: %+v %v", ph, err)
	}
	if f := h.adminFlags(u.ID); f.TwoFactorEnabled || f.BackupCodeEnabled {
		t.Fatalf("flags after release: %+v", f)
	}
	h.browser().signInPassword(t, "rex@example.com", "correct horse battery")
}

// Backup codes stand in for another second factor: when the operator
// releases (or deletes) the only number reserved for texted codes, the
// codes go too, so the user object claims no second factor that no sign-in
// asks for.
func TestMFABackupCodesGoWithTheLastReservedNumber(t *testing.T) {
	for _, how := range []string{"release", "delete"} {
		t.Run(how, func(t *testing.T) {
			h, userID, phoneID := startPhone2FA(t)
			b, si := h.signInToSecondFactor("pia@example.com", "correct horse battery")
			b.prepareSecond(si.ID).ok(t)
			b.attemptSecond(si.ID, "phone_code", h.textCode(secondFactorNumber)).ok(t)
			b.post("/me/backup_codes", nil).ok(t)
			ops := h.operator()
			if f := sdkFlags(t, ops, userID); f != (mfaFlags{TwoFactorEnabled: true, BackupCodeEnabled: true}) {
				t.Fatalf("flags with a reserved number and backup codes: %+v", f)
			}
			phones := phonenumber.NewClient(h.operatorConfig())
			var err error
			if how == "release" {
				_, err = phones.Update(context.Background(), phoneID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(false)})
			} else {
				_, err = phones.Delete(context.Background(), phoneID)
			}
			if err != nil {
				t.Fatal(err)
			}
			if f := sdkFlags(t, ops, userID); f != (mfaFlags{}) {
				t.Fatalf("flags after the number was released: %+v", f)
			}
			// And a sign-in asks for no second factor.
			b2 := h.browser()
			si2 := b2.startSignIn(t, "pia@example.com")
			if done := b2.post("/client/sign_ins/"+si2.ID+"/attempt_first_factor", form("strategy", "password", "password", "correct horse battery")).ok(t).signIn(t); done.Status != "complete" {
				t.Fatalf("sign-in after the release: %+v", done)
			}
		})
	}
}
