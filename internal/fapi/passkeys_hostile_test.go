package fapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A replayed assertion is refused: on a new sign-in its challenge is stale,
// and on its own sign-in the ceremony is spent.
func TestPasskeyReplayedAssertion(t *testing.T) {
	h := startPasskeys(t)
	b, _ := h.signedInApp(t, "ray@example.com")
	k := newSoftKey(t)
	b.addPasskey(t, k, ceremony{origin: pkOrigin})

	app := h.app(t)
	r := app.post("/client/sign_ins", form("strategy", "passkey")).ok(t)
	si := r.signIn(t)
	cred := k.assert(r.nonce(t), ceremony{origin: pkOrigin})
	app.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", cred)).ok(t)
	// Replayed on the sign-in it completed.
	app.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", cred)).fails(t, 422, "sign_in_status_invalid")
	// Replayed by another device on a fresh sign-in.
	thief := h.app(t)
	si2 := thief.post("/client/sign_ins", form("strategy", "passkey")).ok(t).signIn(t)
	thief.post("/client/sign_ins/"+si2.ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", cred)).fails(t, 422, "passkey_invalid")
	// The sign-in of one client cannot be answered from another.
	si3 := h.app(t).post("/client/sign_ins", form("strategy", "passkey")).ok(t)
	c3 := k.assert(si3.nonce(t), ceremony{origin: pkOrigin})
	thief.post("/client/sign_ins/"+si3.signIn(t).ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", c3)).fails(t, 404, "resource_not_found")
}

// A sign counter that does not move forward (a cloned authenticator, or a
// replay) is refused; a counter that moves on is accepted again.
func TestPasskeyCounterRegression(t *testing.T) {
	h := startPasskeys(t)
	b, _ := h.signedInApp(t, "cat@example.com")
	k := newSoftKey(t)
	b.addPasskey(t, k, ceremony{origin: pkOrigin})

	_, res := h.app(t).passkeySignIn(t, k, ceremony{origin: pkOrigin, counter: u32(7)})
	res.ok(t)
	for _, c := range []uint32{7, 3, 0} {
		_, res := h.app(t).passkeySignIn(t, k, ceremony{origin: pkOrigin, counter: u32(c)})
		res.fails(t, 422, "passkey_invalid")
	}
	_, res = h.app(t).passkeySignIn(t, k, ceremony{origin: pkOrigin, counter: u32(8)})
	if si := res.ok(t).signIn(t); si.Status != "complete" {
		t.Fatalf("counter 8 after 7: %s", res.Body)
	}
}

// Origins and relying-party ids are checked exactly: the root domain and
// its subdomains only, over https; an authenticator answering for another
// rpId is refused at registration and at sign-in.
func TestPasskeyOriginAndRPID(t *testing.T) {
	h := startPasskeys(t)
	b, _ := h.signedInApp(t, "ora@example.com")
	k := newSoftKey(t)

	badRegistrations := []ceremony{
		{origin: "https://example-admin.test"},   // another domain
		{origin: "https://evilexample.test"},     // a suffix, not a subdomain
		{origin: "http://accounts.example.test"}, // not https
		{origin: "https://accounts.example.test:8443/path"},
		{origin: pkOrigin, rpID: "other.test"},            // a passkey for another rpId
		{origin: pkOrigin, rpID: "accounts.example.test"}, // not the configured root
	}
	for _, c := range badRegistrations {
		p := b.beginPasskey(t)
		b.post("/me/passkeys/"+p.ID+"/attempt_verification", form("strategy", "passkey",
			"public_key_credential", k.register(p.Verification.Nonce, c))).fails(t, 422, "passkey_invalid")
	}
	// A challenge of another ceremony.
	p1, p2 := b.beginPasskey(t), b.beginPasskey(t)
	b.post("/me/passkeys/"+p1.ID+"/attempt_verification", form("strategy", "passkey",
		"public_key_credential", k.register(p2.Verification.Nonce, ceremony{origin: pkOrigin}))).fails(t, 422, "passkey_invalid")

	b.addPasskey(t, k, ceremony{origin: "https://deep.accounts.example.test"})
	for _, c := range []ceremony{
		{origin: "https://example-admin.test"},
		{origin: "https://staging.example-admin.test"},
		{origin: "http://" + pkRoot},
		{origin: "null"},
		{origin: pkOrigin, rpID: "other.test"},
		{origin: pkOrigin, challenge: b64u.EncodeToString([]byte("a challenge we never issued!!"))},
	} {
		_, res := h.app(t).passkeySignIn(t, k, c)
		res.fails(t, 422, "passkey_invalid")
	}
	_, res := h.app(t).passkeySignIn(t, k, ceremony{origin: "https://staging1." + pkRoot})
	res.ok(t)
}

// Failed responses count in Postgres against the ceremony: after five the
// challenge is dead even for a good response. An expired one is refused.
func TestPasskeyAttemptLimitAndExpiry(t *testing.T) {
	h := startPasskeys(t)
	b, _ := h.signedInApp(t, "lim@example.com")
	k := newSoftKey(t)
	b.addPasskey(t, k, ceremony{origin: pkOrigin})

	app := h.app(t)
	r := app.post("/client/sign_ins", form("strategy", "passkey")).ok(t)
	si, nonce := r.signIn(t), r.nonce(t)
	attempt := func(c ceremony) *resp {
		return app.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", k.assert(nonce, c)))
	}
	for i := 0; i < 4; i++ {
		attempt(ceremony{origin: "https://example-admin.test"}).fails(t, 422, "passkey_invalid")
	}
	attempt(ceremony{origin: "https://example-admin.test"}).fails(t, 422, "verification_failed")
	attempt(ceremony{origin: pkOrigin}).fails(t, 422, "verification_failed")
	app.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", "{not json")).fails(t, 422, "verification_failed")

	// A challenge past its five minutes.
	r = app.post("/client/sign_ins", form("strategy", "passkey")).ok(t)
	h.env.Clock.Advance(6 * time.Minute)
	app.post("/client/sign_ins/"+r.signIn(t).ID+"/attempt_first_factor", form("strategy", "passkey",
		"public_key_credential", k.assert(r.nonce(t), ceremony{origin: pkOrigin}))).fails(t, 422, "verification_expired")
	// Garbage is refused cleanly.
	r = app.post("/client/sign_ins", form("strategy", "passkey")).ok(t)
	for _, junk := range []string{"{}", `{"id":"x","rawId":"x","type":"public-key","response":{}}`, "null", string(make([]byte, 70000))} {
		res := app.post("/client/sign_ins/"+r.signIn(t).ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", junk))
		if res.Status != 422 {
			t.Fatalf("junk credential %.20q: %d %s", junk, res.Status, res.Body)
		}
	}
	app.post("/client/sign_ins/"+r.signIn(t).ID+"/attempt_first_factor", form("strategy", "passkey")).fails(t, 422, "form_param_missing")
}

// At most ten passkeys: the eleventh is refused when asked for and, if
// two registrations race past the first check, when verified.
func TestPasskeyLimitOfTen(t *testing.T) {
	h := startPasskeys(t)
	b, userID := h.signedInApp(t, "ten@example.com")
	pending := b.beginPasskey(t) // started while there was room
	for i := 0; i < 10; i++ {
		b.addPasskey(t, newSoftKey(t), ceremony{origin: pkOrigin})
	}
	e := b.post("/me/passkeys", nil).fails(t, 422, "passkey_limit_reached")
	if fmt.Sprint(e.Meta["limit"]) != "10" {
		t.Fatalf("meta: %+v", e.Meta)
	}
	b.post("/me/passkeys/"+pending.ID+"/attempt_verification", form("strategy", "passkey",
		"public_key_credential", newSoftKey(t).register(pending.Verification.Nonce, ceremony{origin: pkOrigin}))).fails(t, 422, "passkey_limit_reached")
	if n := len(h.userPasskeys(t, userID)); n != 10 {
		t.Fatalf("%d passkeys, want 10", n)
	}
	// Removing one makes room again.
	first := h.userPasskeys(t, userID)[0]
	b.do(http.MethodDelete, "/me/passkeys/"+first.ID, nil).ok(t)
	b.addPasskey(t, newSoftKey(t), ceremony{origin: pkOrigin})
}

// The same authenticator credential cannot be registered twice, and a
// passkey name is bounded.
func TestPasskeyDuplicateAndNames(t *testing.T) {
	h := startPasskeys(t)
	b, _ := h.signedInApp(t, "dup@example.com")
	k := newSoftKey(t)
	p := b.addPasskey(t, k, ceremony{origin: pkOrigin})
	again := b.beginPasskey(t)
	b.post("/me/passkeys/"+again.ID+"/attempt_verification", form("strategy", "passkey",
		"public_key_credential", k.register(again.Verification.Nonce, ceremony{origin: pkOrigin}))).fails(t, 422, "passkey_already_exists")
	for _, name := range []string{"", "   ", string(make([]byte, 101))} {
		b.do(http.MethodPatch, "/me/passkeys/"+p.ID, form("name", name)).fails(t, 422, "form_param_format_invalid")
	}
	b.do(http.MethodPatch, "/me/passkeys/"+p.ID, form("nickname", "x")).fails(t, 422, "form_param_unknown")
}

// A banned user's passkey signs nobody in.
func TestPasskeyBannedUser(t *testing.T) {
	h := startPasskeys(t)
	b, userID := h.signedInApp(t, "ban@example.com")
	k := newSoftKey(t)
	b.addPasskey(t, k, ceremony{origin: pkOrigin})
	if st := h.admin(http.MethodPost, "/users/"+userID+"/ban", nil, nil); st != http.StatusOK {
		t.Fatalf("ban: %d", st)
	}
	app := h.app(t)
	_, res := app.passkeySignIn(t, k, ceremony{origin: pkOrigin})
	res.fails(t, 403, "user_banned")
	if c := app.client(t); len(c.Sessions) != 0 {
		t.Fatalf("a banned user got a session: %+v", c.Sessions)
	}
}

// A user whose email address was blocked after adding a passkey cannot
// sign in with it either: a passkey names no identifier, but its owner's
// are checked before a session starts.
func TestPasskeyBlockedUser(t *testing.T) {
	h := startPasskeys(t)
	b, _ := h.signedInApp(t, "Blk@Evil.example")
	k := newSoftKey(t)
	b.addPasskey(t, k, ceremony{origin: pkOrigin})
	h.list("blocklist", "*@evil.EXAMPLE")
	h.restrict(map[string]bool{"blocklist": true})
	app := h.app(t)
	_, res := app.passkeySignIn(t, k, ceremony{origin: pkOrigin})
	res.fails(t, http.StatusForbidden, "not_allowed_access")
	if c := app.client(t); len(c.Sessions) != 0 {
		t.Fatalf("a blocked user got a session: %+v", c.Sessions)
	}
}
