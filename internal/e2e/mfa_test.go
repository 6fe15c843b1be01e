package e2e_test

// Two-step verification in a real browser, the "Done means" path: a
// user turns on an authenticator app from the account page (the code is
// computed here from the secret the page shows, as the app would from the
// QR code), signs out, and signs in with password + code; a backup code
// works once from another browser; an operator resets the user's MFA with
// clerk-sdk-go's user.DeleteMFA and the password alone is enough again.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/internal/config"
)

// totpCode is what an authenticator app shows for secret at the server's time.
func totpCode(t *testing.T, s *stack, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, s.lk.Clock.Now(),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// operator is clerk-sdk-go's user client pointed at the test server's Backend API.
func operator(s *stack) *user.Client {
	cfg := &clerk.ClientConfig{}
	cfg.Key = clerk.String(s.lk.SecretKey)
	cfg.URL = clerk.String(s.lk.AdminURL + "/v1")
	cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	return user.NewClient(cfg)
}

// toSecondFactor signs in from the app up to the hosted second-factor page.
func (p *page) toSecondFactor(s *stack, email string) {
	p.t.Helper()
	if st := p.appHome(s); st != "Signed out" {
		p.t.Fatalf("app status before signing in: %q", st)
	}
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.fill("identifier", email)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.fill("password", password)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/second-factor")
}

func TestMFAAuthenticatorAppOnAccountPage(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "mfa.user@example.com"
	id := s.createUser(email, password)
	ops := operator(s)
	ctx := context.Background()

	// Set up the app from the account page.
	p := newPage(t)
	p.signInWithPassword(s, email, password)
	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	p.do(chromedp.Click(chromedp.ID("totp-add")))
	p.waitPage(s.lk.PublicURL, "/user/totp")
	p.checkA11y("totp setup")
	if !eval[bool](p, `(function(){var i=document.getElementById("totp-qr");return i.complete && i.naturalWidth > 0 && i.src.indexOf("data:image/png;base64,") === 0})()`) {
		t.Fatal("the QR code image did not render")
	}
	secret := p.text("#totp-secret")
	if len(secret) < 16 {
		t.Fatalf("secret shown: %q", secret)
	}
	want := totpCode(t, s, secret) // the server's clock stands still until the test moves it
	wrong := "000000"
	if want == wrong {
		wrong = "111111"
	}
	// A wrong code keeps the person on the setup page with an error.
	p.fill("code", wrong)
	p.press("Turn on two-step verification")
	p.waitPage(s.lk.PublicURL, "/user/totp/verify")
	if msg := p.text("#code-error"); msg == "" {
		t.Fatal("no error shown for a wrong code")
	}
	if secret == "" || p.text("#totp-secret") != secret {
		t.Fatal("the setup page changed its secret after a wrong code")
	}
	p.fill("code", want)
	p.press("Turn on two-step verification")
	p.waitFor("the backup codes", `!!document.getElementById("backup-codes")`, 15*time.Second)
	codes := eval[[]string](p, `Array.prototype.map.call(document.querySelectorAll("#backup-codes code"), function(c){return c.textContent.trim()})`)
	if len(codes) != 10 {
		t.Fatalf("backup codes shown: %q", codes)
	}
	u, err := ops.Get(ctx, id)
	if err != nil || !u.TwoFactorEnabled || !u.TOTPEnabled || !u.BackupCodeEnabled {
		t.Fatalf("user after enrolment (err %v): two_factor %v totp %v backup %v", err, u.TwoFactorEnabled, u.TOTPEnabled, u.BackupCodeEnabled)
	}
	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	if !strings.Contains(p.text("#two-step + ul"), "On") {
		t.Fatalf("the account page does not show the app as on: %q", p.text("#two-step + ul"))
	}

	// Sign out, then sign in with the password and a code from the app.
	p.appHome(s)
	p.signOutFromApp(s)
	p.toSecondFactor(s, email)
	p.checkA11y("second factor")
	// The code that turned the app on was used in this 30-second step.
	p.fill("code", want)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/second-factor")
	if msg := p.text("#code-error"); msg == "" {
		t.Fatal("no error shown for a code used twice in its step")
	}
	s.lk.Clock.Advance(30 * time.Second)
	p.fill("code", totpCode(t, s, secret))
	p.press("Continue")
	if got, _ := p.signedInUser(s); got != id {
		t.Fatalf("signed in as %s, want %s", got, id)
	}
	// (The app's /protected is not asked here: the server's clock is now 30 s
	// ahead of the app's, which rightly refuses a token issued in its future.)

	// Another browser: a backup code instead of the app, once.
	q := newPage(t)
	q.toSecondFactor(s, email)
	q.do(chromedp.Click(`//a[normalize-space(.)="Use a backup code"]`))
	q.waitFor("the backup code form", `document.querySelector('input[name="strategy"]').value === "backup_code"`, 15*time.Second)
	q.fill("code", codes[0])
	q.press("Continue")
	if got, _ := q.signedInUser(s); got != id {
		t.Fatalf("backup code signed in %s, want %s", got, id)
	}

	// The operator resets the user's MFA: the password alone signs in again.
	res, err := ops.DeleteMFA(ctx, &user.DeleteMFAParams{ID: id})
	if err != nil || res.UserID != id {
		t.Fatalf("DeleteMFA: %+v, %v", res, err)
	}
	u, err = ops.Get(ctx, id)
	if err != nil || u.TwoFactorEnabled || u.TOTPEnabled || u.BackupCodeEnabled {
		t.Fatalf("user after the reset (err %v): two_factor %v totp %v backup %v", err, u.TwoFactorEnabled, u.TOTPEnabled, u.BackupCodeEnabled)
	}
	p.appHome(s)
	p.signOutFromApp(s)
	if got := p.signInWithPassword(s, email, password); got != id {
		t.Fatalf("after the reset signed in as %s, want %s", got, id)
	}
}

// A verified number turned on for two-step verification on the account
// page; the hosted second-factor page offers to text a code and takes it;
// turning the number off again drops the backup codes made for it.
func TestMFAPhoneCodeOnHostedPage(t *testing.T) {
	t.Parallel()
	// Texts go to the dev outbox (a development instance without a provider).
	s := newStack(t, func(c *config.Config) { c.Auth.SecondFactors.PhoneCode = true })
	const email, number = "sms.user@example.com", "+15555550177"
	id := s.createUser(email, password)
	cfg := &clerk.ClientConfig{}
	cfg.Key, cfg.URL = clerk.String(s.lk.SecretKey), clerk.String(s.lk.AdminURL+"/v1")
	ctx := context.Background()
	if _, err := phonenumber.NewClient(cfg).Create(ctx, &phonenumber.CreateParams{UserID: clerk.String(id),
		PhoneNumber: clerk.String(number), Verified: clerk.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	ops := operator(s)

	p := newPage(t)
	p.signInWithPassword(s, email, password)
	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	p.do(chromedp.Click(`//button[@aria-label="Text codes to ` + number + `"]`))
	p.waitFor("the notice", `document.body.innerText.indexOf("texted to this number when you sign in") >= 0`, 15*time.Second)
	if u, err := ops.Get(ctx, id); err != nil || !u.TwoFactorEnabled || len(u.PhoneNumbers) != 1 || !u.PhoneNumbers[0].ReservedForSecondFactor {
		t.Fatalf("after turning the number on (err %v): %+v", err, u)
	}
	p.press("Make codes")
	if codes := p.shownBackupCodes(); len(codes) != 10 {
		t.Fatalf("backup codes: %q", codes)
	}

	p.appHome(s)
	p.signOutFromApp(s)
	p.toSecondFactor(s, email)
	if lead := p.text("p.lead"); !strings.Contains(lead, "+*********77") {
		t.Fatalf("the page says %q, want the masked number", lead)
	}
	p.press("Text me a code")
	p.waitPage(s.lk.PublicURL, "/sign-in/second-factor/send")
	p.checkA11y("second factor by text")
	p.fill("code", devText(t, s.lk, number, "sign-in code"))
	p.press("Continue")
	if got, _ := p.signedInUser(s); got != id {
		t.Fatalf("signed in as %s, want %s", got, id)
	}

	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	p.do(chromedp.Click(`//button[@aria-label="Stop texting codes to ` + number + `"]`))
	p.waitFor("the notice", `document.body.innerText.indexOf("no longer used for two-step verification") >= 0`, 15*time.Second)
	if u, err := ops.Get(ctx, id); err != nil || u.TwoFactorEnabled || u.BackupCodeEnabled {
		t.Fatalf("after turning the number off (err %v): two_factor %v backup %v", err, u.TwoFactorEnabled, u.BackupCodeEnabled)
	}
}

// shownBackupCodes reads the backup codes page.
func (p *page) shownBackupCodes() []string {
	p.t.Helper()
	p.waitFor("the backup codes", `!!document.getElementById("backup-codes")`, 15*time.Second)
	return eval[[]string](p, `Array.prototype.map.call(document.querySelectorAll("#backup-codes code"), function(c){return c.textContent.trim()})`)
}

// New backup codes and removing the app, from the account page.
func TestMFAManageOnAccountPage(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "mfa.manager@example.com"
	id := s.createUser(email, password)
	ops := operator(s)
	p := newPage(t)
	p.signInWithPassword(s, email, password)
	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	p.do(chromedp.Click(chromedp.ID("totp-add")))
	p.waitPage(s.lk.PublicURL, "/user/totp")
	p.fill("code", totpCode(t, s, p.text("#totp-secret")))
	p.press("Turn on two-step verification")
	first := p.shownBackupCodes()

	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	p.press("Make new codes")
	second := p.shownBackupCodes()
	if len(second) != 10 || second[0] == first[0] {
		t.Fatalf("new codes %q after %q", second, first)
	}

	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	p.do(chromedp.Evaluate[chromedp.Void](`document.documentElement.setAttribute("data-e2e-left", "")`),
		chromedp.Click(chromedp.ID("totp-remove")))
	p.waitPage(s.lk.PublicURL, "/user")
	p.waitFor("the set-up button", `!!document.getElementById("totp-add")`, 15*time.Second)
	u, err := ops.Get(context.Background(), id)
	if err != nil || u.TwoFactorEnabled || u.TOTPEnabled || u.BackupCodeEnabled {
		t.Fatalf("user after removal (err %v): two_factor %v totp %v backup %v", err, u.TwoFactorEnabled, u.TOTPEnabled, u.BackupCodeEnabled)
	}
}
