package fapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestSignInWithPassword(t *testing.T) {
	h := start(t)
	u := h.createUser("ada@example.com", "analytical-engine-42", "Ada", "Lovelace")

	t.Run("identifier then attempt_first_factor", func(t *testing.T) {
		b := h.browser()
		r := b.post("/client/sign_ins", form("identifier", "ADA@example.com ")).ok(t)
		// The client cookie: HttpOnly, SameSite=Lax, whole site; not Secure
		// only because this development instance runs on http://localhost.
		ck := r.Header.Get("Set-Cookie")
		for _, want := range []string{"__client=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age="} {
			if !strings.Contains(ck, want) {
				t.Errorf("Set-Cookie %q lacks %q", ck, want)
			}
		}
		si := r.signIn(t)
		if si.Identifier == nil || *si.Identifier != "ada@example.com" {
			t.Fatalf("identifier = %v", si.Identifier)
		}
		if si.UserData == nil || si.UserData.FirstName != nil || si.UserData.LastName != nil {
			t.Fatalf("names shown before the first factor: %+v", si.UserData)
		}
		b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "wrong-password-1")).
			fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
		r = b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "analytical-engine-42")).ok(t)
		si = r.signIn(t)
		if si.Status != "complete" || si.CreatedSessionID == nil {
			t.Fatalf("sign-in: %+v", si)
		}
		if si.UserData == nil || si.UserData.FirstName == nil || *si.UserData.FirstName != "Ada" {
			t.Fatalf("names after completion: %+v", si.UserData)
		}
		if si.FirstFactorVerification == nil || si.FirstFactorVerification.Status != "verified" || si.FirstFactorVerification.Strategy != "password" {
			t.Fatalf("first_factor_verification: %+v", si.FirstFactorVerification)
		}
		c := r.Client
		if c == nil || len(c.Sessions) != 1 || c.Sessions[0].ID != *si.CreatedSessionID || c.Sessions[0].User == nil || c.Sessions[0].User.ID != u.ID {
			t.Fatalf("client: %s", r.Body)
		}
		if c.SignIn != nil {
			t.Errorf("a complete sign-in still shows on the client")
		}
		if c.Sessions[0].PublicUserData.Identifier != "ada@example.com" {
			t.Errorf("public_user_data.identifier = %q", c.Sessions[0].PublicUserData.Identifier)
		}
		b.sessionToken(*si.CreatedSessionID).ok(t)
		// The sign-in is done: another attempt on it is refused.
		b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "analytical-engine-42")).
			fails(t, http.StatusUnprocessableEntity, "sign_in_status_invalid")
	})

	t.Run("one-shot create", func(t *testing.T) {
		b := h.browser()
		b.post("/client/sign_ins", form("identifier", "ada@example.com", "strategy", "password", "password", "nope-nope-nope")).
			fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
		si := b.signInPassword(t, "ada@example.com", "analytical-engine-42")
		got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
		if got.Status != "complete" || got.CreatedSessionID == nil || *got.CreatedSessionID != *si.CreatedSessionID {
			t.Fatalf("GET sign-in: %+v", got)
		}
		// Another browser cannot read this sign-in.
		h.browser().get("/client/sign_ins/"+si.ID).fails(t, http.StatusNotFound, "resource_not_found")
	})
}

func TestSignInWithEmailCode(t *testing.T) {
	h := start(t)
	u := h.createUser("grace@example.com", "compiler-cobol-1959")
	b := h.browser()
	si := b.startSignIn(t, "grace@example.com")
	var factorID string
	for _, f := range si.SupportedFirstFactors {
		if f.Strategy == "email_code" {
			factorID = f.EmailAddressID
		}
	}
	// The factor's address id is an opaque handle, not the identification's
	// own (time-stamped) id; prepare_first_factor takes it back.
	if factorID == "" || factorID == u.EmailAddresses[0].ID {
		t.Fatalf("email_code factor address id %q (real %q)", factorID, u.EmailAddresses[0].ID)
	}
	// Attempting before preparing is refused.
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", "123456")).
		fails(t, http.StatusUnprocessableEntity, "verification_missing")
	si = b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code", "email_address_id", factorID)).ok(t).signIn(t)
	if v := si.FirstFactorVerification; v == nil || v.Status != "unverified" || v.Strategy != "email_code" || v.ExpireAt == 0 {
		t.Fatalf("verification after prepare: %+v", si.FirstFactorVerification)
	}
	m := h.sink.WaitFor(t, "grace@example.com", mailWait)
	code := codeRe.FindStringSubmatch(m.Text)
	if code == nil {
		t.Fatalf("no code: %q", m.Text)
	}
	wrong := "000000"
	if code[1] == wrong {
		wrong = "111111"
	}
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", wrong)).
		fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	si = b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code[1])).ok(t).signIn(t)
	if si.Status != "complete" || si.CreatedSessionID == nil || si.FirstFactorVerification == nil || si.FirstFactorVerification.Status != "verified" {
		t.Fatalf("sign-in after the code: %+v", si)
	}
	b.sessionToken(*si.CreatedSessionID).ok(t)
}

func TestResetPassword(t *testing.T) {
	h := start(t)
	const email = "reset.me@example.com"
	h.createUser(email, "old-password-stolen-1")

	// The thief's browser holds a session.
	thief := h.browser()
	old := thief.signInPassword(t, email, "old-password-stolen-1")
	thief.sessionToken(*old.CreatedSessionID).ok(t)

	b := h.browser()
	si := b.startSignIn(t, email)
	si = b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "reset_password_email_code")).ok(t).signIn(t)
	if v := si.FirstFactorVerification; v == nil || v.Strategy != "reset_password_email_code" {
		t.Fatalf("verification: %+v", si.FirstFactorVerification)
	}
	code := h.code(email)
	// reset_password before the code is verified is refused.
	b.post("/client/sign_ins/"+si.ID+"/reset_password", form("password", "brand-new-secret-77")).
		fails(t, http.StatusUnprocessableEntity, "sign_in_status_invalid")
	si = b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "reset_password_email_code", "code", code)).ok(t).signIn(t)
	if si.Status != "needs_new_password" || si.CreatedSessionID != nil {
		t.Fatalf("after the reset code: %+v", si)
	}
	b.post("/client/sign_ins/"+si.ID+"/reset_password", form("password", "password1")).
		fails(t, http.StatusUnprocessableEntity, "form_password_pwned")
	r := b.post("/client/sign_ins/"+si.ID+"/reset_password", form("password", "brand-new-secret-77", "sign_out_of_other_sessions", "true")).ok(t)
	si = r.signIn(t)
	if si.Status != "complete" || si.CreatedSessionID == nil || r.Client == nil || len(r.Client.Sessions) != 1 {
		t.Fatalf("after reset_password: %s", r.Body)
	}
	b.sessionToken(*si.CreatedSessionID).ok(t)

	// The older session is revoked; its token request fails.
	thief.sessionToken(*old.CreatedSessionID).fails(t, http.StatusUnauthorized, "session_not_active")
	if c := thief.client(t); c == nil || len(c.Sessions) != 0 {
		t.Fatalf("the thief's client still lists sessions: %+v", c)
	}
	// The old password is dead, the new one works.
	h.browser().post("/client/sign_ins", form("identifier", email, "strategy", "password", "password", "old-password-stolen-1")).
		fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
	h.browser().signInPassword(t, email, "brand-new-secret-77")
}

func TestResetPasswordKeepsOtherSessionsUnlessAsked(t *testing.T) {
	h := start(t)
	const email = "keep@example.com"
	h.createUser(email, "old-password-kept-1")
	other := h.browser()
	old := other.signInPassword(t, email, "old-password-kept-1")

	b := h.browser()
	si := b.startSignIn(t, email)
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "reset_password_email_code")).ok(t)
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "reset_password_email_code", "code", h.code(email))).ok(t)
	b.post("/client/sign_ins/"+si.ID+"/reset_password", form("password", "brand-new-secret-88")).ok(t)
	other.sessionToken(*old.CreatedSessionID).ok(t)
}

func TestSingleSessionMode(t *testing.T) {
	h := start(t)
	h.createUser("one@example.com", "first-user-pass-1")
	h.createUser("two@example.com", "second-user-pass-2")
	b := h.browser()
	b.signInPassword(t, "one@example.com", "first-user-pass-1")
	b.post("/client/sign_ins", form("identifier", "two@example.com")).fails(t, http.StatusUnprocessableEntity, "session_exists")
	b.post("/client/sign_ins", form("identifier", "one@example.com", "strategy", "password", "password", "first-user-pass-1")).
		fails(t, http.StatusUnprocessableEntity, "session_exists")
	b.post("/client/sign_ups", form("email_address", "three@example.com", "password", "third-user-pass-3")).
		fails(t, http.StatusUnprocessableEntity, "session_exists")
	if c := b.client(t); len(c.Sessions) != 1 {
		t.Fatalf("sessions: %d", len(c.Sessions))
	}
	// After signing out, signing in again works.
	b.do(http.MethodDelete, "/client/sessions", nil).ok(t)
	b.signInPassword(t, "two@example.com", "second-user-pass-2")
}

// A sign-in started before another tab completed one cannot complete a
// second session on a single-session client.
func TestSingleSessionRaceBetweenTabs(t *testing.T) {
	h := start(t)
	h.createUser("one@example.com", "first-user-pass-1")
	h.createUser("two@example.com", "second-user-pass-2")
	b := h.browser()
	first := b.startSignIn(t, "one@example.com")
	second := b.startSignIn(t, "two@example.com")
	b.post("/client/sign_ins/"+second.ID+"/attempt_first_factor", form("strategy", "password", "password", "second-user-pass-2")).ok(t)
	b.post("/client/sign_ins/"+first.ID+"/attempt_first_factor", form("strategy", "password", "password", "first-user-pass-1")).
		fails(t, http.StatusUnprocessableEntity, "session_exists")
	if c := b.client(t); len(c.Sessions) != 1 {
		t.Fatalf("sessions: %d", len(c.Sessions))
	}
}

func TestMultiSession(t *testing.T) {
	h := start(t, func(c *configT) { c.Sessions.MultiSession = true })
	a := h.createUser("alice@example.com", "alice-secret-pass-1")
	bob := h.createUser("bob@example.com", "bob-secret-pass-2")
	b := h.browser()
	// Two tabs start signing Alice in; the second to finish is told she is
	// already signed in, with the session to switch to.
	tab1, tab2 := b.startSignIn(t, "alice@example.com"), b.startSignIn(t, "alice@example.com")
	sa := *b.post("/client/sign_ins/"+tab1.ID+"/attempt_first_factor", form("strategy", "password", "password", "alice-secret-pass-1")).
		ok(t).signIn(t).CreatedSessionID
	e := b.post("/client/sign_ins/"+tab2.ID+"/attempt_first_factor", form("strategy", "password", "password", "alice-secret-pass-1")).
		fails(t, http.StatusUnprocessableEntity, "identifier_already_signed_in")
	if e.Meta["session_id"] != sa {
		t.Fatalf("meta.session_id = %v, want %s", e.Meta["session_id"], sa)
	}
	// Starting a new sign-in for her is refused at once.
	e = b.post("/client/sign_ins", form("identifier", "alice@example.com")).
		fails(t, http.StatusUnprocessableEntity, "identifier_already_signed_in")
	if e.Meta["session_id"] != sa {
		t.Fatalf("meta.session_id = %v, want %s", e.Meta["session_id"], sa)
	}
	sb := *b.signInPassword(t, "bob@example.com", "bob-secret-pass-2").CreatedSessionID

	c := b.client(t)
	if len(c.Sessions) != 2 || c.LastActiveSessionID == nil || *c.LastActiveSessionID != sb {
		t.Fatalf("client after two sign-ins: %+v", c)
	}
	users := map[string]bool{}
	for _, s := range c.Sessions {
		users[s.User.ID] = true
	}
	if !users[a.ID] || !users[bob.ID] {
		t.Fatalf("sessions are not of both users: %+v", c.Sessions)
	}

	r := b.post("/client/sessions/"+sa+"/touch", nil).ok(t)
	if s := r.session(t); s.ID != sa || s.Status != "active" {
		t.Fatalf("touch: %+v", s)
	}
	if r.Client == nil || r.Client.LastActiveSessionID == nil || *r.Client.LastActiveSessionID != sa {
		t.Fatalf("touch did not switch last_active_session_id: %s", r.Body)
	}

	r = b.post("/client/sessions/"+sa+"/end", nil).ok(t)
	if s := r.session(t); s.Status != "ended" {
		t.Fatalf("end: %+v", s)
	}
	if r.Client == nil || len(r.Client.Sessions) != 1 || r.Client.Sessions[0].ID != sb {
		t.Fatalf("client after ending one: %s", r.Body)
	}
	b.sessionToken(sa).fails(t, http.StatusUnauthorized, "session_not_active")
	b.sessionToken(sb).ok(t)
	// Alice may sign in again once her session has ended.
	sa2 := *b.signInPassword(t, "alice@example.com", "alice-secret-pass-1").CreatedSessionID
	if c := b.client(t); len(c.Sessions) != 2 || *c.LastActiveSessionID != sa2 {
		t.Fatalf("client after signing Alice in again: %+v", c)
	}
	// An ended session cannot be made active again.
	b.post("/client/sessions/"+sa+"/touch", nil).fails(t, http.StatusUnauthorized, "session_not_active")
	// Another browser cannot touch or end these sessions.
	h.browser().post("/client/sessions/"+sb+"/end", nil).fails(t, http.StatusNotFound, "resource_not_found")
	b.sessionToken(sb).ok(t)
}

func TestNativeClient(t *testing.T) {
	h := start(t)
	u := h.createUser("mobile@example.com", "pocket-sized-pass-1")
	app := h.nativeApp()
	r := app.post("/client/sign_ins?_is_native=1", form("identifier", "mobile@example.com"))
	si := r.ok(t).signIn(t)
	if app.token == "" {
		t.Fatalf("no client token in the Authorization header: %v", r.Header)
	}
	if r.Header.Get("Set-Cookie") != "" {
		t.Errorf("a native client got a cookie: %q", r.Header.Get("Set-Cookie"))
	}
	clientID := r.Client.ID
	// The token alone carries the client from here on (no cookie jar).
	r = app.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "pocket-sized-pass-1")).ok(t)
	if r.Client == nil || r.Client.ID != clientID || len(r.Client.Sessions) != 1 || r.Client.Sessions[0].User.ID != u.ID {
		t.Fatalf("client after sign-in: %s", r.Body)
	}
	if r.Header.Get("Authorization") != "" {
		t.Errorf("a new client token was issued for an existing client")
	}
	sid := r.Client.Sessions[0].ID
	app.sessionToken(sid).ok(t)

	// Without the token the API knows nothing of that client.
	anon := h.nativeApp()
	if c := anon.client(t); c != nil {
		t.Fatalf("an anonymous app sees a client: %+v", c)
	}
	anon.token = "not-a-real-token"
	anon.sessionToken(sid).fails(t, http.StatusNotFound, "resource_not_found")
}

func TestBannedUserCannotSignIn(t *testing.T) {
	h := start(t)
	u := h.createUser("banned@example.com", "banned-user-pass-1")
	before := h.browser()
	sid := *before.signInPassword(t, "banned@example.com", "banned-user-pass-1").CreatedSessionID
	if st := h.admin(http.MethodPost, "/users/"+u.ID+"/ban", nil, nil); st != http.StatusOK {
		t.Fatalf("ban: %d", st)
	}
	before.sessionToken(sid).fails(t, http.StatusUnauthorized, "session_not_active")
	b := h.browser()
	b.post("/client/sign_ins", form("identifier", "banned@example.com", "strategy", "password", "password", "banned-user-pass-1")).
		fails(t, http.StatusForbidden, "user_banned")
	if c := b.client(t); len(c.Sessions) != 0 {
		t.Fatalf("a banned user got a session")
	}
}
