package fapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

// A sign-up with a phone number verifies it with a texted code (sent
// through the Twilio-compatible adapter) and creates a user whose number is
// verified by phone_code.
func TestSignUpWithPhoneCode(t *testing.T) {
	h := startPhone(t)
	b := h.browser()
	var env struct {
		UserSettings struct {
			Attributes struct {
				PhoneNumber struct {
					FirstFactors  []string `json:"first_factors"`
					Verifications []string `json:"verifications"`
				} `json:"phone_number"`
			} `json:"attributes"`
		} `json:"user_settings"`
	}
	if err := json.Unmarshal(b.get("/environment").Body, &env); err != nil {
		t.Fatal(err)
	}
	if p := env.UserSettings.Attributes.PhoneNumber; !reflect.DeepEqual(p.FirstFactors, []string{"phone_code"}) ||
		!reflect.DeepEqual(p.Verifications, []string{"phone_code"}) {
		t.Fatalf("environment phone_number: %+v", p)
	}
	const number = "+1 (555) 555-0142"
	su := b.post("/client/sign_ups", form("phone_number", number, "password", "phone-signup-password-1")).ok(t).signUp(t)
	if su.Status != "missing_requirements" || !reflect.DeepEqual(su.UnverifiedFields, []string{"phone_number"}) {
		t.Fatalf("sign-up: %+v", su)
	}
	r := b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "phone_code")).ok(t)
	var shaped struct {
		PhoneNumber   string `json:"phone_number"`
		Verifications struct {
			PhoneNumber *verificationObj `json:"phone_number"`
		} `json:"verifications"`
	}
	if err := json.Unmarshal(r.Response, &shaped); err != nil {
		t.Fatal(err)
	}
	if v := shaped.Verifications.PhoneNumber; shaped.PhoneNumber != "+15555550142" || v == nil || v.Strategy != "phone_code" ||
		v.Status != "unverified" || v.NextAction != "needs_attempt" {
		t.Fatalf("after prepare: %s", r.Response)
	}
	code := h.textCode("+15555550142")
	su = b.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "phone_code", "code", code)).ok(t).signUp(t)
	if su.Status != "complete" || su.CreatedUserID == nil || su.CreatedSessionID == nil {
		t.Fatalf("sign-up not complete: %+v", su)
	}
	var u phoneUser
	h.admin(http.MethodGet, "/users/"+*su.CreatedUserID, nil, &u)
	if len(u.PhoneNumbers) != 1 || u.PhoneNumbers[0].PhoneNumber != "+15555550142" || u.PhoneNumbers[0].Verification == nil ||
		u.PhoneNumbers[0].Verification.Status != "verified" || u.PhoneNumbers[0].Verification.Strategy != "phone_code" ||
		u.PrimaryPhoneNumberID == nil || *u.PrimaryPhoneNumberID != u.PhoneNumbers[0].ID {
		t.Fatalf("user: %+v", u)
	}
	// The number now signs in with a texted code too.
	b2 := h.browser()
	si := b2.startSignIn(t, "+15555550142")
	b2.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code")).ok(t)
	si = b2.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "phone_code", "code", h.textCode("+15555550142"))).ok(t).signIn(t)
	if si.Status != "complete" {
		t.Fatalf("sign-in: %+v", si)
	}
}

// Sign-in with phone_code in Clerk's shape: the factor names the number and
// a phone_number_id that prepare_first_factor takes back.
func TestSignInWithPhoneCode(t *testing.T) {
	h := startPhone(t)
	u := h.createPhoneUser("+447700900123", "phone-user-password-1")
	b := h.browser()
	r := b.post("/client/sign_ins", form("identifier", "+44 7700 900123")).ok(t)
	f, ok := phoneFactorOf(t, r)
	if !ok || f.SafeIdentifier != "+447700900123" || f.PhoneNumberID == "" {
		t.Fatalf("phone_code factor: %+v in %s", f, r.Response)
	}
	if strings.Contains(string(r.Response), u.PhoneNumbers[0].ID) {
		t.Fatalf("the sign-in shows the identification's own id: %s", r.Response)
	}
	si := r.signIn(t)
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code", "phone_number_id", "idn_wrong")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	pr := b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code", "phone_number_id", f.PhoneNumberID)).ok(t).signIn(t)
	if v := pr.FirstFactorVerification; v == nil || v.Strategy != "phone_code" || v.Status != "unverified" {
		t.Fatalf("after prepare: %+v", pr)
	}
	code := h.textCode("+447700900123")
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).
		fails(t, http.StatusUnprocessableEntity, "verification_missing")
	si = b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "phone_code", "code", code)).ok(t).signIn(t)
	if si.Status != "complete" || si.CreatedSessionID == nil {
		t.Fatalf("sign-in: %+v", si)
	}
	// The code is single use.
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "phone_code", "code", code)).
		fails(t, http.StatusUnprocessableEntity, "sign_in_status_invalid")
}

// Brute-forcing a texted code stops at the attempt limit, kept on the
// verification row in Postgres: guesses spread over two replicas of the
// server add up, and the right code is refused after the limit.
func TestPhoneCodeAttemptLimit(t *testing.T) {
	h := startPhone(t)
	replica := testserver.Replica(t, h.env)
	h.createPhoneUser("+15555550177", "phone-guess-password-1")
	b := h.browser()
	si := b.startSignIn(t, "+15555550177")
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code")).ok(t)
	code := h.textCode("+15555550177")
	n := 0
	attempt := func(c string) *resp { // odd attempts go to the replica
		n++
		base := h.env.PublicURL
		if n%2 == 1 {
			base = replica.PublicURL
		}
		return b.doURL(http.MethodPost, base+"/v1/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "phone_code", "code", c))
	}
	for i := 0; i < 4; i++ {
		attempt(wrongCode(code)).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	attempt(wrongCode(code)).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	attempt(code).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	attempt(code).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
	if v := got.FirstFactorVerification; got.Status != "needs_first_factor" || v == nil || v.Status != "failed" || v.Attempts != 5 {
		t.Fatalf("sign-in: %+v %+v", got, v)
	}

	// The same holds for a sign-up's phone code.
	s := h.browser()
	su := s.post("/client/sign_ups", form("phone_number", "+15555550178", "password", "phone-guess-password-2")).ok(t).signUp(t)
	s.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "phone_code")).ok(t)
	sc := h.textCode("+15555550178")
	for i := 0; i < 4; i++ {
		s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "phone_code", "code", wrongCode(sc))).
			fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "phone_code", "code", wrongCode(sc))).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "phone_code", "code", sc)).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
}

// A number that matches nobody gets the same sign-in and the same answer to
// prepare_first_factor as a real one, and no text is sent to it.
func TestPhoneCodeNoEnumeration(t *testing.T) {
	h := startPhone(t)
	h.createPhoneUser("+15555550123", "phone-real-password-1")
	kr := h.browser().post("/client/sign_ins", form("identifier", "+15555550123")).ok(t)
	ur := h.browser().post("/client/sign_ins", form("identifier", "+15555550999")).ok(t)
	if !reflect.DeepEqual(strategiesOf(kr.signIn(t)), strategiesOf(ur.signIn(t))) || !reflect.DeepEqual(shapeOf(t, kr.Body), shapeOf(t, ur.Body)) {
		t.Fatalf("real and unknown numbers differ:\n%s\n%s", kr.Body, ur.Body)
	}
	b := h.browser()
	si := b.startSignIn(t, "+15555550999")
	pr := b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code")).ok(t).signIn(t)
	if v := pr.FirstFactorVerification; v == nil || v.Strategy != "phone_code" || v.Status != "unverified" {
		t.Fatalf("stand-in prepare: %+v", pr)
	}
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "phone_code", "code", "123456")).
		fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")

	// A number reserved for the second factor is no first factor: it is
	// answered like a number of nobody.
	owner := h.createPhoneUser("+15555550124", "phone-owner-password-1")
	if st := h.admin(http.MethodPost, "/phone_numbers", map[string]any{"user_id": owner.ID, "phone_number": "+15555550125",
		"verified": true, "reserved_for_second_factor": true}, nil); st != http.StatusOK {
		t.Fatalf("add a second-factor number: %d", st)
	}
	c := h.browser()
	rsi := c.startSignIn(t, "+15555550125")
	c.post("/client/sign_ins/"+rsi.ID+"/prepare_first_factor", form("strategy", "phone_code")).ok(t)
	time.Sleep(300 * time.Millisecond)
	for _, m := range h.sms.Messages() {
		if m.To == "+15555550999" || m.To == "+15555550125" {
			t.Fatalf("a sign-in code reached a number with no account or a second-factor one: %+v", m)
		}
	}
}

// The SMS allowlist refuses numbers from other countries with Clerk's
// unsupported_country_code: at sign-up, for a code, and for a stand-in alike.
func TestSMSAllowlist(t *testing.T) {
	h := startPhone(t)
	b := h.browser()
	e := b.post("/client/sign_ups", form("phone_number", "+33 6 12 34 56 78", "password", "french-password-1")).
		fails(t, http.StatusUnprocessableEntity, "unsupported_country_code")
	if !strings.Contains(e.Message, "+33") {
		t.Errorf("message does not name the country: %+v", e)
	}
	// A user made by the operator with such a number cannot get a code.
	h.createPhoneUser("+33612345678", "french-password-2")
	for _, number := range []string{"+33612345678", "+33612345699"} {
		c := h.browser()
		si := c.startSignIn(t, number)
		c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code")).
			fails(t, http.StatusUnprocessableEntity, "unsupported_country_code")
		c.post("/client/sign_ins", form("identifier", number, "strategy", "phone_code")).
			fails(t, http.StatusUnprocessableEntity, "unsupported_country_code")
	}
	// Changing a sign-up's number to one outside the list is refused too.
	su := b.post("/client/sign_ups", form("phone_number", "+15555550155", "password", "allowed-password-1")).ok(t).signUp(t)
	b.do(http.MethodPatch, "/client/sign_ups/"+su.ID, form("phone_number", "+4915112345678")).
		fails(t, http.StatusUnprocessableEntity, "unsupported_country_code")
	time.Sleep(200 * time.Millisecond)
	for _, m := range h.sms.Messages() {
		if strings.HasPrefix(m.To, "+33") || strings.HasPrefix(m.To, "+49") {
			t.Fatalf("a text reached a number outside the allowlist: %+v", m)
		}
	}
}

// Texts are rate limited, and a number of nobody meets the limit exactly
// as a real one does.
func TestPhoneCodeRateLimits(t *testing.T) {
	h := startPhone(t, func(c *config.Config) { c.Auth.RateLimits.EmailsPerMinute = 2 })
	h.createPhoneUser("+15555550190", "phone-limit-password-1")
	for _, number := range []string{"+15555550190", "+15555550191"} {
		for i := 0; i < 3; i++ {
			b := h.browser()
			si := b.startSignIn(t, number)
			r := b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "phone_code"))
			if i < 2 {
				r.ok(t)
			} else {
				r.fails(t, http.StatusTooManyRequests, "too_many_requests")
			}
		}
		h.env.Clock.Advance(time.Minute) // the next window
	}
}
