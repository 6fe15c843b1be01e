package fapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpObj is Clerk's TOTP object as /v1/me/totp answers it.
type totpObj struct {
	Object      string   `json:"object"`
	ID          string   `json:"id"`
	Secret      *string  `json:"secret"`
	URI         *string  `json:"uri"`
	Verified    bool     `json:"verified"`
	BackupCodes []string `json:"backup_codes"`
}

func (r *resp) totp(t *testing.T) totpObj {
	t.Helper()
	var o totpObj
	if err := json.Unmarshal(r.Response, &o); err != nil || o.Object != "totp" {
		t.Fatalf("not a totp (%v): %s", err, r.Body)
	}
	return o
}

// mfaFlags is the part of a user the MFA tests look at, in either API.
type mfaFlags struct {
	TwoFactorEnabled  bool   `json:"two_factor_enabled"`
	TOTPEnabled       bool   `json:"totp_enabled"`
	BackupCodeEnabled bool   `json:"backup_code_enabled"`
	MFAEnabledAt      *int64 `json:"mfa_enabled_at"`
}

// adminFlags reads a user's MFA flags from the Backend API.
func (h *harness) adminFlags(userID string) mfaFlags {
	h.t.Helper()
	var f mfaFlags
	if st := h.admin(http.MethodGet, "/users/"+userID, nil, &f); st != http.StatusOK {
		h.t.Fatalf("get user: %d", st)
	}
	return f
}

// frontendFlags reads the MFA flags of the browser's signed-in user from the
// frontend API's client (its session's user object).
func (b *browser) frontendFlags(t *testing.T) mfaFlags {
	t.Helper()
	r := b.get("/client").ok(t)
	var c struct {
		Sessions []struct {
			User mfaFlags `json:"user"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal(r.Response, &c); err != nil || len(c.Sessions) == 0 {
		t.Fatalf("no session in client (%v): %s", err, r.Body)
	}
	return c.Sessions[0].User
}

// codeAt computes the authenticator app's code for secret at the server's time.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextStep moves the server's clock into the next 30-second step, so a new
// TOTP code is accepted (each step's code is accepted once).
func (h *harness) nextStep() { h.env.Clock.Advance(30 * time.Second) }

// mfaUser makes a user, signs b in with the password and turns on an
// authenticator app from the frontend API. It returns the user id, the
// secret and the backup codes handed out with the confirmation.
func (h *harness) mfaUser(b *browser, email, password string) (string, string, []string) {
	t := h.t
	t.Helper()
	u := h.createUser(email, password)
	b.signInPassword(t, email, password)
	created := b.post("/me/totp", nil).ok(t).totp(t)
	if created.Secret == nil || created.URI == nil || created.Verified {
		t.Fatalf("created totp: %+v", created)
	}
	confirmed := b.post("/me/totp/attempt_verification", form("code", codeAt(t, *created.Secret, h.env.Clock.Now()))).ok(t).totp(t)
	if !confirmed.Verified || confirmed.Secret != nil {
		t.Fatalf("confirmed totp: %+v", confirmed)
	}
	return u.ID, *created.Secret, confirmed.BackupCodes
}

// signInToSecondFactor signs a fresh browser in with the password and
// expects the sign-in to stop at needs_second_factor.
func (h *harness) signInToSecondFactor(email, password string) (*browser, signInObj) {
	h.t.Helper()
	b := h.browser()
	si := b.post("/client/sign_ins", form("identifier", email, "strategy", "password", "password", password)).ok(h.t).signIn(h.t)
	if si.Status != "needs_second_factor" || si.CreatedSessionID != nil {
		h.t.Fatalf("sign-in %s, want needs_second_factor without a session", si.Status)
	}
	return b, si
}

func (b *browser) attemptSecond(signInID, strategy, code string) *resp {
	b.h.t.Helper()
	return b.post("/client/sign_ins/"+signInID+"/attempt_second_factor", form("strategy", strategy, "code", code))
}

// secondFactorStrategies lists the strategies of a sign-in's supported_second_factors.
func secondFactorStrategies(t *testing.T, b *browser, signInID string) []string {
	t.Helper()
	var raw struct {
		SupportedSecondFactors []struct {
			Strategy string `json:"strategy"`
		} `json:"supported_second_factors"`
	}
	if err := json.Unmarshal(b.get("/client/sign_ins/"+signInID).ok(t).Response, &raw); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, f := range raw.SupportedSecondFactors {
		out = append(out, f.Strategy)
	}
	return out
}
