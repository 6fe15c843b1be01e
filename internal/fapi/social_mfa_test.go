package fapi_test

import (
	"testing"

	"github.com/pquerna/otp"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// A provider is a first factor like any other: a user with an
// authenticator app who signs in through the provider stops at
// needs_second_factor, with no session until the code.
func TestSocialSignInAsksForSecondFactor(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	u := h.createUser("two@example.com", "correct horse battery")
	b := h.browser()
	b.signInPassword(t, "two@example.com", "correct horse battery")
	created := b.post("/me/totp", nil).ok(t).totp(t)
	key, err := otp.NewKeyFromURL(*created.URI)
	if err != nil {
		t.Fatal(err)
	}
	b.post("/me/totp/attempt_verification", form("code", codeAt(t, key.Secret(), h.env.Clock.Now()))).ok(t)

	up.account("acme-two", "two@example.com", true)
	b2 := h.browser()
	redirectsToApp(t, up.signIn(t, b2), appCallback)
	c := b2.client(t)
	if len(c.Sessions) != 0 || c.SignIn == nil || c.SignIn.Status != "needs_second_factor" {
		t.Fatalf("after the provider: %+v", c)
	}
	h.nextStep()
	done := b2.attemptSecond(c.SignIn.ID, "totp", codeAt(t, key.Secret(), h.env.Clock.Now())).ok(t).signIn(t)
	if done.Status != "complete" || b2.signedInUserID(t) != u.ID {
		t.Fatalf("after the code: %+v", done)
	}
	if ext := h.userExternal(u.ID); len(ext) != 1 || ext[0].ProviderUserID != "acme-two" {
		t.Fatalf("external accounts: %+v", ext)
	}
}
