package fapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
)

// A signed-in user adds a passkey through /v1/me/passkeys (Clerk's create
// then attempt_verification), names it, sees it in the user object of both
// APIs, signs out, and signs in with the passkey alone — from the root
// domain and from a subdomain of it.
func TestPasskeyRegisterThenSignInWithoutIdentifier(t *testing.T) {
	h := startPasskeys(t)
	b, userID := h.signedInApp(t, "ada@example.com")
	k := newSoftKey(t)

	p := b.beginPasskey(t)
	var o creationOptions
	if err := json.Unmarshal([]byte(p.Verification.Nonce), &o); err != nil {
		t.Fatal(err)
	}
	if o.RP.ID != pkRoot || o.AuthenticatorSelection.ResidentKey != "required" || o.User.Name != "ada@example.com" {
		t.Fatalf("creation options: %+v", o)
	}
	if uh, _ := b64u.DecodeString(o.User.ID); string(uh) != userID {
		t.Fatalf("user handle %q, want the user id %s", uh, userID)
	}
	cred := k.register(p.Verification.Nonce, ceremony{origin: pkOrigin})
	v := b.post("/me/passkeys/"+p.ID+"/attempt_verification", form("strategy", "passkey", "public_key_credential", cred)).ok(t).passkey(t)
	if v.ID != p.ID || v.Verification.Status != "verified" || v.Verification.Nonce != "" {
		t.Fatalf("verified passkey: %+v", v)
	}
	// The same attestation again: the ceremony is spent.
	b.post("/me/passkeys/"+p.ID+"/attempt_verification", form("strategy", "passkey", "public_key_credential", cred)).fails(t, 422, "verification_already_verified")

	named := b.do(http.MethodPatch, "/me/passkeys/"+p.ID, form("name", "Laptop")).ok(t).passkey(t)
	if named.Name != "Laptop" {
		t.Fatalf("renamed passkey: %+v", named)
	}
	var fu struct {
		User struct {
			Passkeys []passkeyObj `json:"passkeys"`
		} `json:"user"`
	}
	r := b.get("/client").ok(t)
	var cl struct {
		Sessions []json.RawMessage `json:"sessions"`
	}
	if err := json.Unmarshal(r.Response, &cl); err != nil || len(cl.Sessions) != 1 {
		t.Fatalf("client: %s", r.Body)
	}
	if err := json.Unmarshal(cl.Sessions[0], &fu); err != nil || len(fu.User.Passkeys) != 1 || fu.User.Passkeys[0].Name != "Laptop" {
		t.Fatalf("frontend API user passkeys: %s", cl.Sessions[0])
	}
	pks := h.userPasskeys(t, userID)
	if len(pks) != 1 || pks[0].ID != p.ID || pks[0].Name != "Laptop" || pks[0].LastUsedAt != nil ||
		pks[0].Verification == nil || pks[0].Verification.Status != "verified" {
		t.Fatalf("Backend API user passkeys: %+v", pks)
	}

	// A new device (client) signs in with the passkey alone.
	for _, origin := range []string{pkOrigin, "https://" + pkRoot} {
		app := h.app(t)
		_, res := app.passkeySignIn(t, k, ceremony{origin: origin})
		si := res.ok(t).signIn(t)
		if si.Status != "complete" || si.CreatedSessionID == nil {
			t.Fatalf("passkey sign-in at %s: %s", origin, res.Body)
		}
		sess := app.client(t).Sessions
		if len(sess) != 1 || sess[0].User == nil || sess[0].User.ID != userID {
			t.Fatalf("signed in as %+v, want %s", sess, userID)
		}
	}
	if pks := h.userPasskeys(t, userID); len(pks) != 1 || pks[0].LastUsedAt == nil {
		t.Fatalf("last use not recorded: %+v", pks)
	}
}

// The identifier-first flow: supported_first_factors offers passkey, and
// prepare_first_factor hands out request options; the passkey must be the
// identified user's own.
func TestPasskeyIdentifierFirst(t *testing.T) {
	h := startPasskeys(t)
	b, _ := h.signedInApp(t, "ann@example.com")
	k := newSoftKey(t)
	b.addPasskey(t, k, ceremony{origin: pkOrigin})
	other, _ := h.signedInApp(t, "bob@example.com")
	kb := newSoftKey(t)
	other.addPasskey(t, kb, ceremony{origin: pkOrigin})

	for _, tc := range []struct {
		key  *softKey
		want int
	}{{kb, 422}, {k, 200}} {
		app := h.app(t)
		si := app.startSignIn(t, "ann@example.com")
		offered := false
		for _, f := range si.SupportedFirstFactors {
			offered = offered || f.Strategy == "passkey"
		}
		if !offered {
			t.Fatalf("passkey not among the supported first factors: %+v", si.SupportedFirstFactors)
		}
		r := app.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "passkey")).ok(t)
		res := app.post("/client/sign_ins/"+si.ID+"/attempt_first_factor",
			form("strategy", "passkey", "public_key_credential", tc.key.assert(r.nonce(t), ceremony{origin: pkOrigin})))
		if tc.want == 422 {
			res.fails(t, 422, "passkey_invalid") // Bob's passkey on Ann's sign-in
			continue
		}
		if si := res.ok(t).signIn(t); si.Status != "complete" {
			t.Fatalf("sign-in: %s", res.Body)
		}
	}

	// An identifier nobody has: the factor is offered the same, and no passkey completes it.
	app := h.app(t)
	si := app.startSignIn(t, "nobody@example.com")
	r := app.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "passkey")).ok(t)
	app.post("/client/sign_ins/"+si.ID+"/attempt_first_factor",
		form("strategy", "passkey", "public_key_credential", k.assert(r.nonce(t), ceremony{origin: pkOrigin}))).fails(t, 422, "passkey_invalid")
}

// Removing a passkey (frontend API or Backend API) stops it signing in.
func TestPasskeyRemoval(t *testing.T) {
	h := startPasskeys(t)
	b, userID := h.signedInApp(t, "cy@example.com")
	k1, k2 := newSoftKey(t), newSoftKey(t)
	p1 := b.addPasskey(t, k1, ceremony{origin: pkOrigin})
	p2 := b.addPasskey(t, k2, ceremony{origin: pkOrigin})

	var del struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Deleted bool   `json:"deleted"`
	}
	r := b.do(http.MethodDelete, "/me/passkeys/"+p1.ID, nil).ok(t)
	if err := json.Unmarshal(r.Response, &del); err != nil || !del.Deleted || del.Object != "passkey" || del.ID != p1.ID {
		t.Fatalf("delete: %s", r.Body)
	}
	// An operator removes the other with clerk-sdk-go, as against Clerk.
	users := pkSDKUsers(h)
	gone, err := users.DeletePasskey(context.Background(), userID, p2.ID)
	if err != nil || !gone.Deleted || gone.ID != p2.ID {
		t.Fatalf("clerk-sdk-go DeletePasskey: %+v, %v", gone, err)
	}
	_, err = users.DeletePasskey(context.Background(), userID, p2.ID)
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusNotFound {
		t.Fatalf("deleting again: %v, want a 404", err)
	}
	if st := h.admin(http.MethodDelete, "/users/user_nobody/passkeys/"+p1.ID, nil, nil); st != 404 {
		t.Fatalf("another user's passkey id: %d, want 404", st)
	}
	if pks := h.userPasskeys(t, userID); len(pks) != 0 {
		t.Fatalf("passkeys left: %+v", pks)
	}
	for _, k := range []*softKey{k1, k2} {
		_, res := h.app(t).passkeySignIn(t, k, ceremony{origin: pkOrigin})
		res.fails(t, 422, "passkey_invalid")
	}
	// Another user's passkey is not found through /v1/me.
	other, _ := h.signedInApp(t, "dee@example.com")
	p3 := b.addPasskey(t, newSoftKey(t), ceremony{origin: pkOrigin})
	other.do(http.MethodDelete, "/me/passkeys/"+p3.ID, nil).fails(t, 404, "resource_not_found")
	other.do(http.MethodPatch, "/me/passkeys/"+p3.ID, form("name", "mine")).fails(t, 404, "resource_not_found")
}

// passkeyEnvironment reads what /v1/environment says about passkeys.
func passkeyEnvironment(t *testing.T, h *harness) (enabled, autofill bool) {
	t.Helper()
	var env struct {
		UserSettings struct {
			Attributes struct {
				Passkey struct {
					Enabled      bool     `json:"enabled"`
					FirstFactors []string `json:"first_factors"`
				} `json:"passkey"`
			} `json:"attributes"`
			PasskeySettings struct {
				AllowAutofill bool `json:"allow_autofill"`
			} `json:"passkey_settings"`
		} `json:"user_settings"`
	}
	r := h.nativeApp().get("/environment").ok(t)
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatal(err)
	}
	pk := env.UserSettings.Attributes.Passkey
	if pk.Enabled != (len(pk.FirstFactors) == 1 && pk.FirstFactors[0] == "passkey") {
		t.Fatalf("environment passkey attribute: %s", r.Body)
	}
	return pk.Enabled, env.UserSettings.PasskeySettings.AllowAutofill
}

// /v1/me/passkeys needs a signed-in session; the environment says
// passkeys are on.
func TestPasskeyNeedsSession(t *testing.T) {
	h := startPasskeys(t)
	if on, autofill := passkeyEnvironment(t, h); !on || !autofill {
		t.Fatalf("environment: passkeys %v, autofill %v; want both on", on, autofill)
	}
	h.nativeApp().post("/me/passkeys", nil).fails(t, 401, "signed_out")
	h.app(t).post("/me/passkeys", nil).fails(t, 401, "signed_out")
}

// With passkeys switched off, neither registration nor sign-in is offered.
func TestPasskeyNeedsSetting(t *testing.T) {
	h := start(t)
	if on, autofill := passkeyEnvironment(t, h); on || autofill {
		t.Fatalf("environment: passkeys %v, autofill %v; want both off", on, autofill)
	}
	b, _ := h.signedInApp(t, "eve@example.com")
	b.post("/me/passkeys", nil).fails(t, 422, "passkeys_disabled")
	h.app(t).post("/client/sign_ins", form("strategy", "passkey")).fails(t, 422, "form_param_value_invalid")
}
