package fapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestSignUpEmailPasswordWithCode(t *testing.T) {
	h := start(t)
	b := h.browser()
	const email = "new.person@example.com"

	r := b.post("/client/sign_ups", form("email_address", email, "password", "correct-horse-battery-9"))
	su := r.ok(t).signUp(t)
	if su.Status != "missing_requirements" || len(su.UnverifiedFields) != 1 || su.UnverifiedFields[0] != "email_address" {
		t.Fatalf("sign-up = %+v, want missing_requirements with unverified_fields [email_address]", su)
	}
	if len(su.MissingFields) != 0 || !su.PasswordEnabled || su.EmailAddress == nil || *su.EmailAddress != email {
		t.Fatalf("sign-up fields: %+v", su)
	}
	if su.CreatedUserID != nil || su.CreatedSessionID != nil {
		t.Fatalf("an unverified sign-up created something: %+v", su)
	}
	if r.Client == nil || r.Client.SignUp == nil || r.Client.SignUp.ID != su.ID {
		t.Fatalf("client does not carry the sign-up: %s", r.Body)
	}

	su = b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t).signUp(t)
	if v := su.Verifications.EmailAddress; v == nil || v.Status != "unverified" || v.Strategy != "email_code" {
		t.Fatalf("verification after prepare: %+v", su.Verifications.EmailAddress)
	}
	m := h.sink.WaitFor(t, email, mailWait)
	code := codeRe.FindStringSubmatch(m.Text)
	if code == nil {
		t.Fatalf("no code in the text part: %q", m.Text)
	}
	if !strings.Contains(m.HTML, code[1]) || !strings.Contains(m.HTML, appName) {
		t.Errorf("HTML part lacks the code or the app name: %q", m.HTML)
	}
	if !strings.Contains(m.Text, appName) || !strings.Contains(m.Subject, appName) {
		t.Errorf("app name missing: subject %q text %q", m.Subject, m.Text)
	}
	if strings.Contains(m.Subject, code[1]) {
		t.Errorf("the code is in the subject %q", m.Subject)
	}

	wrong := "000000"
	if code[1] == wrong {
		wrong = "111111"
	}
	b.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", wrong)).
		fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")

	r = b.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", code[1])).ok(t)
	su = r.signUp(t)
	if su.Status != "complete" || su.CreatedUserID == nil || su.CreatedSessionID == nil {
		t.Fatalf("sign-up after the right code: %+v", su)
	}
	if r.Client == nil || len(r.Client.Sessions) != 1 || r.Client.Sessions[0].ID != *su.CreatedSessionID {
		t.Fatalf("client sessions: %s", r.Body)
	}
	if r.Client.LastActiveSessionID == nil || *r.Client.LastActiveSessionID != *su.CreatedSessionID {
		t.Fatalf("last_active_session_id: %v", r.Client.LastActiveSessionID)
	}
	if r.Client.SignUp != nil {
		t.Errorf("a completed sign-up still shows on the client")
	}
	b.sessionToken(*su.CreatedSessionID).ok(t)

	var u adminUser
	if st := h.admin(http.MethodGet, "/users/"+*su.CreatedUserID, nil, &u); st != http.StatusOK {
		t.Fatalf("admin get user: %d", st)
	}
	if !u.PasswordEnabled || len(u.EmailAddresses) != 1 || u.EmailAddresses[0].EmailAddress != email {
		t.Fatalf("admin user: %+v", u)
	}
	if v := u.EmailAddresses[0].Verification; v == nil || v.Status != "verified" {
		t.Fatalf("email not verified: %+v", u.EmailAddresses[0])
	}
	if u.PrimaryEmailAddressID == nil || *u.PrimaryEmailAddressID != u.EmailAddresses[0].ID {
		t.Fatalf("primary email: %+v", u)
	}

	// The new user can sign in with the password elsewhere.
	h.browser().signInPassword(t, email, "correct-horse-battery-9")
}

func TestSignUpRefusesTakenEmailAndCommonPassword(t *testing.T) {
	h := start(t)
	h.createUser("taken@example.com", "a-long-unusual-pass-1")
	b := h.browser()
	b.post("/client/sign_ups", form("email_address", "Taken@Example.com", "password", "another-unusual-pass-2")).
		fails(t, http.StatusUnprocessableEntity, "form_identifier_exists")
	e := b.post("/client/sign_ups", form("email_address", "fresh@example.com", "password", "password123")).
		fails(t, http.StatusUnprocessableEntity, "form_password_pwned")
	if e.Meta["param_name"] != "password" {
		t.Errorf("param_name = %v", e.Meta["param_name"])
	}
	b.post("/client/sign_ups", form("email_address", "fresh@example.com", "password", "short")).
		fails(t, http.StatusUnprocessableEntity, "form_password_length_too_short")

	// A sign-up that changes its email to a taken one is refused too.
	su := b.post("/client/sign_ups", form("email_address", "fresh@example.com", "password", "another-unusual-pass-2")).ok(t).signUp(t)
	b.do(http.MethodPatch, "/client/sign_ups/"+su.ID, form("email_address", "taken@example.com")).
		fails(t, http.StatusUnprocessableEntity, "form_identifier_exists")
}

// Two people sign up with one address on two browsers and enter their codes
// at the same moment: exactly one user exists afterwards.
func TestConcurrentSignUpsForOneEmail(t *testing.T) {
	h := start(t)
	const email = "contested@example.com"
	type attempt struct {
		b  *browser
		id string
	}
	var as []attempt
	for i := 0; i < 2; i++ {
		b := h.browser()
		su := b.post("/client/sign_ups", form("email_address", email, "password", "contested-pass-phrase")).ok(t).signUp(t)
		b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t)
		as = append(as, attempt{b, su.ID})
	}
	// The sink hands out messages in arrival order; match codes to sign-ups
	// by trying each code on each sign-up is not possible without spending
	// attempts, so read both and try both.
	codes := []string{h.code(email), h.code(email)}
	results := make([]*resp, 2)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range as {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			for _, c := range codes {
				r := as[i].b.post("/client/sign_ups/"+as[i].id+"/attempt_verification", form("strategy", "email_code", "code", c))
				if r.code() != "form_code_incorrect" {
					results[i] = r
					return
				}
			}
		}(i)
	}
	close(gate)
	wg.Wait()
	var complete, exists int
	for i, r := range results {
		switch {
		case r == nil:
			t.Fatalf("sign-up %d: neither code was accepted", i)
		case r.Status == http.StatusOK && r.signUp(t).Status == "complete":
			complete++
		case r.Status == http.StatusUnprocessableEntity && r.code() == "form_identifier_exists":
			exists++
		default:
			t.Fatalf("sign-up %d: unexpected %d %s", i, r.Status, r.Body)
		}
	}
	if complete != 1 || exists != 1 {
		t.Fatalf("complete=%d exists=%d, want 1 and 1", complete, exists)
	}
	var list []adminUser
	if st := h.admin(http.MethodGet, "/users?email_address="+email, nil, &list); st != http.StatusOK || len(list) != 1 {
		t.Fatalf("users with %s: %d %+v", email, st, list)
	}
}
