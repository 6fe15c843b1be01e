package fapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

// An operator moving users from another provider creates them with their
// authenticator secret and backup codes (clerk-sdk-go's user.Create, as
// against Clerk): the user signs in with password + a code from the same
// app, or a backup code from the old set, without enrolling again.
func TestMFAImportedWithTheUser(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	const secret = "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP" // as an app shows it: spaced, any case
	codes := []string{"k3x9-q2m7", "a1b2c3d4", "zz99yy88"}
	u, err := h.operator().Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"imported@example.com"},
		Password: clerk.String("correct horse battery"), TOTPSecret: clerk.String(secret), BackupCodes: &codes})
	if err != nil {
		t.Fatalf("create with imported MFA: %v", err)
	}
	if !u.TwoFactorEnabled || !u.TOTPEnabled || !u.BackupCodeEnabled {
		t.Fatalf("created user: two_factor %v totp %v backup %v", u.TwoFactorEnabled, u.TOTPEnabled, u.BackupCodeEnabled)
	}

	b, si := h.signInToSecondFactor("imported@example.com", "correct horse battery")
	if done := b.attemptSecond(si.ID, "totp", codeAt(t, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", h.env.Clock.Now())).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("imported app's code: %+v", done)
	}
	b, si = h.signInToSecondFactor("imported@example.com", "correct horse battery")
	if done := b.attemptSecond(si.ID, "backup_code", "K3X9Q2M7").ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("imported backup code: %+v", done)
	}
	b, si = h.signInToSecondFactor("imported@example.com", "correct horse battery")
	b.attemptSecond(si.ID, "backup_code", "k3x9q2m7").fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
}

// A bad import is refused whole: no user is left behind.
func TestMFAImportRefused(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	cases := []struct {
		name   string
		secret *string
		codes  []string
	}{
		{"not base32", clerk.String("not-a-secret-!!"), nil},
		{"too short", clerk.String("JBSWY3DP"), nil},
		{"backup codes without an app", nil, []string{"a1b2c3d4"}},
		{"bcrypt digests", clerk.String("JBSWY3DPEHPK3PXP"), []string{"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW"}},
		{"a code twice", clerk.String("JBSWY3DPEHPK3PXP"), []string{"a1b2c3d4", "A1B2-C3D4"}},
		{"a code too short", clerk.String("JBSWY3DPEHPK3PXP"), []string{"a1b2"}},
	}
	for _, c := range cases {
		p := &user.CreateParams{EmailAddresses: &[]string{"refused@example.com"}, Password: clerk.String("correct horse battery"),
			TOTPSecret: c.secret}
		if c.codes != nil {
			p.BackupCodes = &c.codes
		}
		_, err := h.operator().Create(ctx, p)
		wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
	}
	var list []adminUser
	h.admin(http.MethodGet, "/users?email_address=refused@example.com", nil, &list)
	if len(list) != 0 {
		t.Fatalf("a refused import left users: %+v", list)
	}
}

// PATCH /v1/users/{id} sets (or replaces) the authenticator app and the
// backup codes of an existing user; backup codes alone need an app already
// there, and a refused change changes nothing else either.
func TestMFAImportOnUpdate(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	ops := h.operator()
	u := h.createUser("later@example.com", "correct horse battery")
	codes := []string{"a1b2c3d4e5"}
	_, err := ops.Update(ctx, u.ID, &user.UpdateParams{BackupCodes: &codes, FirstName: clerk.String("Changed")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_value_invalid")
	if got, _ := ops.Get(ctx, u.ID); got.FirstName != nil || got.BackupCodeEnabled {
		t.Fatalf("a refused update changed the user: %+v", got)
	}

	got, err := ops.Update(ctx, u.ID, &user.UpdateParams{TOTPSecret: clerk.String("JBSWY3DPEHPK3PXP")})
	if err != nil || !got.TOTPEnabled || !got.TwoFactorEnabled || got.BackupCodeEnabled {
		t.Fatalf("set the app: %+v %v", got, err)
	}
	if got, err = ops.Update(ctx, u.ID, &user.UpdateParams{BackupCodes: &codes}); err != nil || !got.BackupCodeEnabled {
		t.Fatalf("add backup codes to a user with an app: %+v %v", got, err)
	}
	b, si := h.signInToSecondFactor("later@example.com", "correct horse battery")
	if done := b.attemptSecond(si.ID, "totp", codeAt(t, "JBSWY3DPEHPK3PXP", h.env.Clock.Now())).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("the app set by the operator: %+v", done)
	}
	b, si = h.signInToSecondFactor("later@example.com", "correct horse battery")
	if done := b.attemptSecond(si.ID, "backup_code", "a1b2c3d4e5").ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("the backup code set by the operator: %+v", done)
	}
}
