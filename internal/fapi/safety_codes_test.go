package fapi_test

import (
	"net/http"
	"testing"
	"time"
)

func wrongCode(right string) string {
	if right == "000000" {
		return "111111"
	}
	return "000000"
}

func TestCodeAttemptsExhausted(t *testing.T) {
	h := start(t)
	h.createUser("guesser@example.com", "guesser-password-1")
	b := h.browser()
	si, code := emailCodeSignIn(t, h, b, "guesser@example.com")
	attempt := func(c string) *resp {
		return b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", c))
	}
	for i := 0; i < 4; i++ {
		attempt(wrongCode(code)).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	attempt(wrongCode(code)).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	attempt(code).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
	if v := got.FirstFactorVerification; got.Status != "needs_first_factor" || v == nil || v.Status != "failed" || v.Attempts != 5 {
		t.Fatalf("sign-in: %+v %+v", got, v)
	}
	// A new code works.
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	attempt(h.code("guesser@example.com")).ok(t)

	// The same holds for sign-up codes.
	s := h.browser()
	su := s.post("/client/sign_ups", form("email_address", "newbie@example.com", "password", "newbie-password-1")).ok(t).signUp(t)
	s.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t)
	sc := h.code("newbie@example.com")
	for i := 0; i < 4; i++ {
		s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", wrongCode(sc))).
			fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", wrongCode(sc))).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", sc)).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
}

func TestCodeExpired(t *testing.T) {
	h := start(t)
	h.createUser("slow@example.com", "slow-user-password-1")
	b := h.browser()
	si, code := emailCodeSignIn(t, h, b, "slow@example.com")
	h.env.Clock.Advance(11 * time.Minute)
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).
		fails(t, http.StatusUnprocessableEntity, "verification_expired")
	got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
	if v := got.FirstFactorVerification; v == nil || v.Status != "expired" {
		t.Fatalf("verification: %+v", v)
	}

	s := h.browser()
	su := s.post("/client/sign_ups", form("email_address", "slow.signup@example.com", "password", "slow-signup-pass-1")).ok(t).signUp(t)
	s.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t)
	sc := h.code("slow.signup@example.com")
	h.env.Clock.Advance(11 * time.Minute)
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", sc)).
		fails(t, http.StatusUnprocessableEntity, "verification_expired")
}
