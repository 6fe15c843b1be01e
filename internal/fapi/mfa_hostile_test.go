package fapi_test

// Hostile second factors: guessing codes against two replicas of the server
// over one database (the limits live in Postgres, so both see every wrong
// code), and the same TOTP or backup code raced on both replicas at once
// (accepted exactly once: RFC 6238 §5.2 and single-use backup codes).

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

// replica is a second server over h's database, clock and secret key.
func (h *harness) replica() *harness {
	return &harness{t: h.t, env: testserver.Replica(h.t, h.env), sink: h.sink}
}

// via is the same browser (same cookies) talking to another replica, as
// behind a load balancer.
func (b *browser) via(h *harness) *browser {
	c := *b
	c.h = h
	return &c
}

// wrongTOTP is a six-digit code that no step around now accepts.
func wrongTOTP(t *testing.T, secret string, now time.Time, n int) string {
	t.Helper()
	taken := map[string]bool{}
	for d := -2; d <= 2; d++ {
		taken[codeAt(t, secret, now.Add(time.Duration(d)*30*time.Second))] = true
	}
	for i := n; ; i++ {
		c := fmt.Sprintf("%06d", (i*104729)%1000000)
		if !taken[c] {
			return c
		}
	}
}

func TestMFABruteForceAcrossReplicas(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Users.LockoutMaxAttempts, c.Users.LockoutDuration = 8, time.Hour })
	r := h.replica()
	const email, pw = "kim@example.com", "correct horse battery"
	uid, secret, _ := h.mfaUser(h.browser(), email, pw)
	guess := 0
	wrong := func() string { guess++; return wrongTOTP(t, secret, h.env.Clock.Now(), guess) }

	// One sign-in takes five wrong codes, whichever replica gets them; then
	// it is dead, even for the right code.
	b, si := h.signInToSecondFactor(email, pw)
	both := []*browser{b, b.via(r)}
	for i := 1; i <= 4; i++ {
		both[i%2].attemptSecond(si.ID, "totp", wrong()).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	both[1].attemptSecond(si.ID, "totp", wrong()).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	h.nextStep()
	both[1].attemptSecond(si.ID, "totp", codeAt(t, secret, h.env.Clock.Now())).fails(t, http.StatusUnprocessableEntity, "verification_failed")

	// Passing the password again on the other replica clears nothing: the
	// eighth wrong code for the user locks the account.
	rb := r.browser()
	si2 := rb.post("/client/sign_ins", form("identifier", email, "strategy", "password", "password", pw)).ok(t).signIn(t)
	if si2.Status != "needs_second_factor" {
		t.Fatalf("second sign-in: %s", si2.Status)
	}
	rb.attemptSecond(si2.ID, "backup_code", "aaaaaaaaaa").fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	rb.via(h).attemptSecond(si2.ID, "totp", wrong()).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	locked := rb.attemptSecond(si2.ID, "totp", wrong()).fails(t, http.StatusForbidden, "user_locked")
	if secs, _ := locked.Meta["lockout_expires_in_seconds"].(float64); secs < 3590 || secs > 3600 {
		t.Fatalf("lockout_expires_in_seconds = %v", locked.Meta["lockout_expires_in_seconds"])
	}
	// Locked everywhere: the right code, the Backend API's check, a new sign-in.
	rb.via(h).attemptSecond(si2.ID, "totp", codeAt(t, secret, h.env.Clock.Now())).fails(t, http.StatusForbidden, "user_locked")
	if st, _, code := r.verifyTOTP(uid, map[string]string{"code": codeAt(t, secret, h.env.Clock.Now())}); st != http.StatusForbidden || code != "user_locked" {
		t.Fatalf("verify_totp while locked: %d %s", st, code)
	}
	h.browser().post("/client/sign_ins", form("identifier", email, "strategy", "password", "password", pw)).
		fails(t, http.StatusForbidden, "user_locked")

	// After the lockout, a guesser gets one try per lockout period.
	h.env.Clock.Advance(time.Hour + time.Minute)
	b3, si3 := h.signInToSecondFactor(email, pw)
	b3.via(r).attemptSecond(si3.ID, "totp", wrong()).fails(t, http.StatusForbidden, "user_locked")

	// The owner, with the right code after the lockout, gets in, and the
	// count starts again from zero.
	h.env.Clock.Advance(time.Hour + time.Minute)
	b4, si4 := h.signInToSecondFactor(email, pw)
	if done := b4.via(r).attemptSecond(si4.ID, "totp", codeAt(t, secret, h.env.Clock.Now())).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("right code after the lockout: %+v", done)
	}
	b5, si5 := h.signInToSecondFactor(email, pw)
	b5.attemptSecond(si5.ID, "totp", wrong()).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
}

// raceSecondFactor starts n sign-ins to the second factor, alternately on
// h and r, then sends code to all of them at once; it returns the answers.
func raceSecondFactor(h, r *harness, n int, email, pw, strategy, code string) []*resp {
	type pending struct {
		b  *browser
		id string
	}
	var all []pending
	for i := 0; i < n; i++ {
		b, si := h.signInToSecondFactor(email, pw)
		if i%2 == 1 {
			b = b.via(r)
		}
		all = append(all, pending{b, si.ID})
	}
	next := make(chan pending, n)
	for _, p := range all {
		next <- p
	}
	return race(n, func() *resp {
		p := <-next
		return p.b.attemptSecond(p.id, strategy, code)
	})
}

func expectOneCompletes(t *testing.T, what string, rs []*resp) {
	t.Helper()
	wins := 0
	for _, r := range rs {
		switch {
		case r.Status == http.StatusOK && r.signIn(t).Status == "complete":
			wins++
		case r.Status == http.StatusUnprocessableEntity && r.code() == "form_code_incorrect":
		default:
			t.Fatalf("%s: unexpected %d %s", what, r.Status, r.Body)
		}
	}
	if wins != 1 {
		t.Fatalf("%s: %d sign-ins completed with one code, want 1", what, wins)
	}
}

func TestMFASameCodeRacedAcrossReplicas(t *testing.T) {
	h := start(t)
	r := h.replica()
	const email, pw = "lou@example.com", "correct horse battery"
	_, secret, codes := h.mfaUser(h.browser(), email, pw)
	h.nextStep()
	expectOneCompletes(t, "one TOTP code", raceSecondFactor(h, r, 6, email, pw, "totp", codeAt(t, secret, h.env.Clock.Now())))
	expectOneCompletes(t, "one backup code", raceSecondFactor(h, r, 6, email, pw, "backup_code", codes[5]))
	// The next step's code works once more.
	h.nextStep()
	expectOneCompletes(t, "the next step's code", raceSecondFactor(h, r, 2, email, pw, "totp", codeAt(t, secret, h.env.Clock.Now())))
}

// An operator's unlock also forgets the wrong codes behind the lockout.
func TestMFAUnlockForgetsWrongCodes(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Users.LockoutMaxAttempts, c.Users.LockoutDuration = 3, time.Hour })
	const email, pw = "max@example.com", "correct horse battery"
	uid, secret, _ := h.mfaUser(h.browser(), email, pw)
	b, si := h.signInToSecondFactor(email, pw)
	for i := 1; i <= 2; i++ {
		b.attemptSecond(si.ID, "totp", wrongTOTP(t, secret, h.env.Clock.Now(), i)).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	b.attemptSecond(si.ID, "totp", wrongTOTP(t, secret, h.env.Clock.Now(), 3)).fails(t, http.StatusForbidden, "user_locked")
	if _, err := h.operator().Unlock(context.Background(), uid); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	b2, si2 := h.signInToSecondFactor(email, pw)
	b2.attemptSecond(si2.ID, "totp", wrongTOTP(t, secret, h.env.Clock.Now(), 4)).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	h.nextStep()
	if done := b2.attemptSecond(si2.ID, "totp", codeAt(t, secret, h.env.Clock.Now())).ok(t).signIn(t); done.Status != "complete" {
		t.Fatalf("after the unlock: %+v", done)
	}
}
