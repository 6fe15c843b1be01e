package fapi_test

// The Backend API's side of multi-factor authentication, driven with
// clerk-sdk-go where it has the call (DeleteMFA, DeleteTOTP,
// DeleteBackupCode, Get, List) and over plain HTTP for verify_totp, which
// the SDK lacks. Users enrol through the frontend API, as they would.

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/config"
)

// operatorConfig points clerk-sdk-go at the test server's Backend API.
func (h *harness) operatorConfig() *clerk.ClientConfig {
	cfg := &clerk.ClientConfig{}
	cfg.Key = clerk.String(h.env.SecretKey)
	cfg.URL = clerk.String(h.env.AdminURL + "/v1")
	cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	return cfg
}

func (h *harness) operator() *user.Client { return user.NewClient(h.operatorConfig()) }

// sdkFlags reads the MFA flags through the SDK's typed user.
func sdkFlags(t *testing.T, ops *user.Client, id string) mfaFlags {
	t.Helper()
	u, err := ops.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get user: %v", err)
	}
	return mfaFlags{TwoFactorEnabled: u.TwoFactorEnabled, TOTPEnabled: u.TOTPEnabled, BackupCodeEnabled: u.BackupCodeEnabled}
}

func wantSDKError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != status || len(apiErr.Errors) == 0 || apiErr.Errors[0].Code != code {
		t.Fatalf("error = %v, want %d %s", err, status, code)
	}
}

// verifyTOTP calls POST /v1/users/{id}/verify_totp and returns the status,
// the answer and the first error code.
func (h *harness) verifyTOTP(userID string, body any) (int, map[string]any, string) {
	h.t.Helper()
	var out struct {
		Verified *bool  `json:"verified"`
		CodeType string `json:"code_type"`
		Errors   []apiErr
	}
	st := h.admin(http.MethodPost, "/users/"+userID+"/verify_totp", body, &out)
	code := ""
	if len(out.Errors) > 0 {
		code = out.Errors[0].Code
	}
	ans := map[string]any{"code_type": out.CodeType}
	if out.Verified != nil {
		ans["verified"] = *out.Verified
	}
	return st, ans, code
}

func TestMFABackendFlagsAndDeletions(t *testing.T) {
	h := start(t)
	ops := h.operator()
	ctx := context.Background()
	uid, secret, _ := h.mfaUser(h.browser(), "gil@example.com", "correct horse battery")
	on := mfaFlags{TwoFactorEnabled: true, TOTPEnabled: true, BackupCodeEnabled: true}
	if f := sdkFlags(t, ops, uid); f != on {
		t.Fatalf("flags after enrolment: %+v", f)
	}
	list, err := ops.List(ctx, &user.ListParams{})
	if err != nil || len(list.Users) != 1 || !list.Users[0].TOTPEnabled || !list.Users[0].TwoFactorEnabled || !list.Users[0].BackupCodeEnabled {
		t.Fatalf("user list: %+v %v", list, err)
	}

	// Without backup codes the app remains, and only it is asked for.
	res, err := ops.DeleteBackupCode(ctx, uid)
	if err != nil || res.UserID != uid {
		t.Fatalf("DeleteBackupCode: %+v %v", res, err)
	}
	if f := sdkFlags(t, ops, uid); f != (mfaFlags{TwoFactorEnabled: true, TOTPEnabled: true}) {
		t.Fatalf("flags without backup codes: %+v", f)
	}
	b, si := h.signInToSecondFactor("gil@example.com", "correct horse battery")
	if got := secondFactorStrategies(t, b, si.ID); !slices.Equal(got, []string{"totp"}) {
		t.Fatalf("supported_second_factors = %v", got)
	}
	h.nextStep()
	if done := b.attemptSecond(si.ID, "totp", codeAt(t, secret, h.env.Clock.Now())).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("totp: %+v", done)
	}

	// Without the app, the password alone signs in.
	if res, err := ops.DeleteTOTP(ctx, uid); err != nil || res.UserID != uid {
		t.Fatalf("DeleteTOTP: %+v %v", res, err)
	}
	if f := sdkFlags(t, ops, uid); f != (mfaFlags{}) {
		t.Fatalf("flags without the app: %+v", f)
	}
	h.browser().signInPassword(t, "gil@example.com", "correct horse battery")

	// Unknown users are 404s in Clerk's envelope.
	_, err = ops.DeleteMFA(ctx, &user.DeleteMFAParams{ID: "user_doesnotexist"})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = ops.DeleteTOTP(ctx, "user_doesnotexist")
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = ops.DeleteBackupCode(ctx, "user_doesnotexist")
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
}

func TestMFABackendResetEverything(t *testing.T) {
	h := start(t)
	ops := h.operator()
	b := h.browser()
	uid, _, codes := h.mfaUser(b, "hal@example.com", "correct horse battery")
	// A sign-in already waiting for its second factor is let through by nothing after a reset.
	b2, si := h.signInToSecondFactor("hal@example.com", "correct horse battery")
	res, err := ops.DeleteMFA(context.Background(), &user.DeleteMFAParams{ID: uid})
	if err != nil || res.UserID != uid {
		t.Fatalf("DeleteMFA: %+v %v", res, err)
	}
	if f := sdkFlags(t, ops, uid); f != (mfaFlags{}) {
		t.Fatalf("flags after the reset: %+v", f)
	}
	if f := h.adminFlags(uid); f.MFAEnabledAt != nil {
		t.Fatalf("mfa_enabled_at after the reset: %v", *f.MFAEnabledAt)
	}
	b2.attemptSecond(si.ID, "backup_code", codes[0]).fails(t, http.StatusUnprocessableEntity, "strategy_for_user_invalid")
	h.browser().signInPassword(t, "hal@example.com", "correct horse battery")
	// The user can enrol again, with a new secret.
	b.post("/me/totp", nil).ok(t).totp(t)
}

func TestMFABackendVerifyTOTP(t *testing.T) {
	h := start(t)
	uid, secret, codes := h.mfaUser(h.browser(), "ivy@example.com", "correct horse battery")

	// The code that confirmed the app was used in this step.
	if st, _, code := h.verifyTOTP(uid, map[string]string{"code": codeAt(t, secret, h.env.Clock.Now())}); st != http.StatusUnprocessableEntity || code != "form_code_incorrect" {
		t.Fatalf("replayed code: %d %s", st, code)
	}
	h.nextStep()
	now := codeAt(t, secret, h.env.Clock.Now())
	if st, ans, _ := h.verifyTOTP(uid, map[string]string{"code": now}); st != http.StatusOK || ans["verified"] != true || ans["code_type"] != "totp" {
		t.Fatalf("verify totp: %d %v", st, ans)
	}
	if st, _, code := h.verifyTOTP(uid, map[string]string{"code": now}); st != http.StatusUnprocessableEntity || code != "form_code_incorrect" {
		t.Fatalf("same code again: %d %s", st, code)
	}
	// A backup code is spent by verifying it.
	if st, ans, _ := h.verifyTOTP(uid, map[string]string{"code": codes[3]}); st != http.StatusOK || ans["code_type"] != "backup_code" {
		t.Fatalf("verify backup code: %d %v", st, ans)
	}
	if st, _, code := h.verifyTOTP(uid, map[string]string{"code": codes[3]}); st != http.StatusUnprocessableEntity || code != "form_code_incorrect" {
		t.Fatalf("backup code again: %d %s", st, code)
	}
	b, si := h.signInToSecondFactor("ivy@example.com", "correct horse battery")
	b.attemptSecond(si.ID, "backup_code", codes[3]).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")

	// Bad requests.
	if st, _, code := h.verifyTOTP(uid, map[string]string{}); st != http.StatusUnprocessableEntity || code != "form_param_missing" {
		t.Fatalf("no code: %d %s", st, code)
	}
	if st, _, code := h.verifyTOTP("user_doesnotexist", map[string]string{"code": "123456"}); st != http.StatusNotFound || code != "resource_not_found" {
		t.Fatalf("unknown user: %d %s", st, code)
	}
	plain := h.createUser("jo@example.com", "correct horse battery")
	if st, _, code := h.verifyTOTP(plain.ID, map[string]string{"code": "123456"}); st != http.StatusBadRequest || code != "totp_not_enabled" {
		t.Fatalf("user without MFA: %d %s", st, code)
	}
}

// A verified phone number reserved for the second factor makes
// two_factor_enabled true (totp_enabled stays false), keeps backup codes
// when the app goes, and is released, not deleted, by an MFA reset.
func TestMFABackendPhoneReservedForSecondFactor(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Auth.Identifiers.PhoneNumber.Enabled = true })
	ops := h.operator()
	phones := phonenumber.NewClient(h.operatorConfig())
	ctx := context.Background()
	u := h.createUser("ned@example.com", "correct horse battery")
	ph, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(u.ID), PhoneNumber: clerk.String("+15555550142"), Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatalf("create phone: %v", err)
	}
	if _, err := phones.Update(ctx, ph.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)}); err != nil {
		t.Fatalf("reserve phone: %v", err)
	}
	if f := sdkFlags(t, ops, u.ID); f != (mfaFlags{TwoFactorEnabled: true}) {
		t.Fatalf("flags with a reserved phone: %+v", f)
	}
	if _, err := ops.DeleteMFA(ctx, &user.DeleteMFAParams{ID: u.ID}); err != nil {
		t.Fatalf("DeleteMFA: %v", err)
	}
	got, err := ops.Get(ctx, u.ID)
	if err != nil || got.TwoFactorEnabled || len(got.PhoneNumbers) != 1 || got.PhoneNumbers[0].ReservedForSecondFactor || got.PhoneNumbers[0].DefaultSecondFactor {
		t.Fatalf("after the reset: %+v %v", got, err)
	}
}
