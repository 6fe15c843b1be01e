package fapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
)

// mePhone is Clerk's phone number object as /v1/me/phone_numbers returns it.
type mePhone struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	PhoneNumber  string `json:"phone_number"`
	Verification *struct {
		Status   string `json:"status"`
		Strategy string `json:"strategy"`
		Attempts *int   `json:"attempts"`
		ExpireAt *int64 `json:"expire_at"`
	} `json:"verification"`
}

func (r *resp) phone(t *testing.T) mePhone {
	t.Helper()
	var p mePhone
	if err := json.Unmarshal(r.Response, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// A signed-in user adds a phone number over the frontend API, verifies it
// with the texted code (sent through the Twilio adapter), and can sign in
// with it; a number outside the SMS allowlist cannot be added; another
// user's number is a 404; signed out, nothing is served.
func TestMePhoneNumbers(t *testing.T) {
	h := startPhone(t)
	h.createPhoneUser("+15555550160", "me-phone-password-1")
	b := h.browser()
	b.post("/me/phone_numbers", form("phone_number", "+447700900160")).fails(t, http.StatusUnauthorized, "signed_out")
	b.signInPassword(t, "+15555550160", "me-phone-password-1")

	e := b.post("/me/phone_numbers", form("phone_number", "+33 6 12 34 56 60")).fails(t, http.StatusUnprocessableEntity, "unsupported_country_code")
	if e.Meta["param_name"] != "phone_number" {
		t.Errorf("error meta: %+v", e)
	}
	b.post("/me/phone_numbers", form("phone_number", "+447700900160", "color", "red")).fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
	p := b.post("/me/phone_numbers", form("phone_number", "+44 7700 900160")).ok(t).phone(t)
	if p.Object != "phone_number" || p.PhoneNumber != "+447700900160" || p.Verification != nil {
		t.Fatalf("added: %+v", p)
	}
	b.post("/me/phone_numbers/"+p.ID+"/prepare_verification", form("strategy", "email_code")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	b.post("/me/phone_numbers/"+p.ID+"/attempt_verification", form("code", "123456")).
		fails(t, http.StatusUnprocessableEntity, "verification_missing")
	p = b.post("/me/phone_numbers/"+p.ID+"/prepare_verification", form("strategy", "phone_code")).ok(t).phone(t)
	if v := p.Verification; v == nil || v.Status != "unverified" || v.Strategy != "phone_code" || v.Attempts == nil || *v.Attempts != 0 || v.ExpireAt == nil {
		t.Fatalf("after prepare: %+v", p.Verification)
	}
	code := h.textCode("+447700900160")
	b.post("/me/phone_numbers/"+p.ID+"/attempt_verification", form("code", wrongCode(code))).
		fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	if got := b.get("/me/phone_numbers/" + p.ID).ok(t).phone(t); got.Verification == nil || *got.Verification.Attempts != 1 {
		t.Fatalf("after a wrong code: %+v", got.Verification)
	}
	p = b.post("/me/phone_numbers/"+p.ID+"/attempt_verification", form("code", code)).ok(t).phone(t)
	if v := p.Verification; v == nil || v.Status != "verified" || v.Strategy != "phone_code" {
		t.Fatalf("after the code: %+v", p.Verification)
	}
	var list []mePhone
	if err := json.Unmarshal(b.get("/me/phone_numbers").ok(t).Response, &list); err != nil || len(list) != 2 {
		t.Fatalf("list: %v %+v", err, list)
	}

	// The new number signs in with a texted code.
	c := h.browser()
	si := c.startSignIn(t, "+447700900160")
	c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code")).ok(t)
	if si = c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "phone_code", "code", h.textCode("+447700900160"))).ok(t).signIn(t); si.Status != "complete" {
		t.Fatalf("sign-in with the added number: %+v", si)
	}

	// Someone else cannot see, verify or remove it.
	h.createPhoneUser("+15555550161", "me-phone-password-2")
	o := h.browser()
	o.signInPassword(t, "+15555550161", "me-phone-password-2")
	o.get("/me/phone_numbers/"+p.ID).fails(t, http.StatusNotFound, "resource_not_found")
	o.post("/me/phone_numbers/"+p.ID+"/prepare_verification", form("strategy", "phone_code")).fails(t, http.StatusNotFound, "resource_not_found")
	o.do(http.MethodDelete, "/me/phone_numbers/"+p.ID, nil).fails(t, http.StatusNotFound, "resource_not_found")

	var del struct {
		Object  string `json:"object"`
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}
	if err := json.Unmarshal(b.do(http.MethodDelete, "/me/phone_numbers/"+p.ID, nil).ok(t).Response, &del); err != nil || !del.Deleted || del.ID != p.ID {
		t.Fatalf("delete: %v %+v", err, del)
	}
	b.get("/me/phone_numbers/"+p.ID).fails(t, http.StatusNotFound, "resource_not_found")
}

// Guessing the code of an added number stops at the attempt limit.
func TestMePhoneCodeAttemptLimit(t *testing.T) {
	h := startPhone(t)
	h.createPhoneUser("+15555550162", "me-phone-password-3")
	b := h.browser()
	b.signInPassword(t, "+15555550162", "me-phone-password-3")
	p := b.post("/me/phone_numbers", form("phone_number", "+15555550163")).ok(t).phone(t)
	b.post("/me/phone_numbers/"+p.ID+"/prepare_verification", form("strategy", "phone_code")).ok(t)
	code := h.textCode("+15555550163")
	for i := 0; i < 4; i++ {
		b.post("/me/phone_numbers/"+p.ID+"/attempt_verification", form("code", wrongCode(code))).
			fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	b.post("/me/phone_numbers/"+p.ID+"/attempt_verification", form("code", wrongCode(code))).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
	b.post("/me/phone_numbers/"+p.ID+"/attempt_verification", form("code", code)).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
	if got := b.get("/me/phone_numbers/" + p.ID).ok(t).phone(t); got.Verification == nil || got.Verification.Status != "failed" {
		t.Fatalf("after the limit: %+v", got.Verification)
	}
}

// In production without an SMS provider, a number can be added but no code
// is sent for it: a clear refusal, never a server error.
func TestMePhoneWithoutProvider(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Env = config.EnvProduction
		c.Auth.Identifiers.EmailAddress.Required = false
	})
	h.createPhoneUser("+15555550164", "me-phone-password-4")
	b := h.nativeApp()
	if si := b.post("/client/sign_ins?_is_native=1", form("identifier", "+15555550164", "strategy", "password",
		"password", "me-phone-password-4")).ok(t).signIn(t); si.Status != "complete" || b.token == "" {
		t.Fatalf("native sign-in: %+v", si)
	}
	p := b.post("/me/phone_numbers", form("phone_number", "+15555550165")).ok(t).phone(t)
	e := b.post("/me/phone_numbers/"+p.ID+"/prepare_verification", form("strategy", "phone_code")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	if e.Meta["param_name"] != "strategy" {
		t.Errorf("error: %+v", e)
	}
}
