package fapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// A number a user adds to their own account and has not proven is only a
// claim: it signs nobody in, it cannot keep the number's owner from signing
// up with it (the proven sign-up takes it), and another account may claim
// it once the first claim has gone unproven for a while.
func TestPhoneClaimsDoNotLockOutTheOwner(t *testing.T) {
	h := startPhone(t)
	h.createUser("squat@example.com", "correct horse battery")
	squatter := h.browser()
	squatter.signInPassword(t, "squat@example.com", "correct horse battery")
	const victim, other = "+15555550177", "+15555550178"
	squatter.post("/me/phone_numbers", form("phone_number", victim)).ok(t)
	squatter.post("/me/phone_numbers", form("phone_number", other)).ok(t)

	// Signing in by the claimed number finds no account: no text is sent.
	b := h.browser()
	si := b.startSignIn(t, victim)
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code")).ok(t)
	time.Sleep(300 * time.Millisecond)
	for _, m := range h.sms.Messages() {
		if m.To == victim {
			t.Fatalf("a sign-in code went to a number only claimed: %+v", m)
		}
	}

	// The number's owner signs up with it.
	owner := h.browser()
	su := owner.post("/client/sign_ups", form("phone_number", victim, "password", "owner-password-long-1")).ok(t).signUp(t)
	owner.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "phone_code")).ok(t)
	su = owner.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "phone_code", "code", h.textCode(victim))).ok(t).signUp(t)
	if su.Status != "complete" {
		t.Fatalf("sign-up with a claimed number: %+v", su)
	}

	// Another account's claim waits for the first to go stale.
	h.createUser("late@example.com", "correct horse battery")
	late := h.browser()
	late.signInPassword(t, "late@example.com", "correct horse battery")
	late.post("/me/phone_numbers", form("phone_number", other)).fails(t, http.StatusUnprocessableEntity, "form_identifier_exists")
	h.env.Clock.Advance(11 * time.Minute)
	late.post("/me/phone_numbers", form("phone_number", other)).ok(t)

	var mine []struct {
		PhoneNumber string `json:"phone_number"`
	}
	again := h.browser()
	again.signInPassword(t, "squat@example.com", "correct horse battery")
	if err := json.Unmarshal(again.get("/me/phone_numbers").ok(t).Response, &mine); err != nil || len(mine) != 0 {
		t.Fatalf("the squatter still holds %+v (%v)", mine, err)
	}
}
