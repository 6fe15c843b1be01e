package fapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/server"
)

// restrict calls PATCH /v1/instance/restrictions.
func (h *harness) restrict(switches map[string]bool) {
	h.t.Helper()
	if st := h.admin(http.MethodPatch, "/instance/restrictions", switches, nil); st != http.StatusOK {
		h.t.Fatalf("update restrictions: %d", st)
	}
}

// list puts identifier on the allowlist or blocklist.
func (h *harness) list(list, identifier string) {
	h.t.Helper()
	if st := h.admin(http.MethodPost, "/"+list+"_identifiers", map[string]string{"identifier": identifier}, nil); st != http.StatusOK {
		h.t.Fatalf("add %s to the %s: %d", identifier, list, st)
	}
}

func TestBlockedDomainRefusedInAnyCaseAndWithSubaddresses(t *testing.T) {
	h := start(t)
	h.createUser("old.friend@evil.example", "correct-horse-battery-9")
	h.list("blocklist", "*@Evil.Example")
	h.list("blocklist", "mallory@example.com")
	h.restrict(map[string]bool{"blocklist": true})

	for _, email := range []string{"new@evil.example", "NEW@EVIL.EXAMPLE", "new+x@Evil.Example", "x@mail.evil.example",
		"Mallory@Example.com", "mallory+alias@example.com", "MALLORY=alias@EXAMPLE.COM"} {
		b := h.browser()
		e := b.post("/client/sign_ups", form("email_address", email, "password", "correct-horse-battery-9")).
			fails(t, http.StatusForbidden, "not_allowed_access")
		if e.Meta["param_name"] != "email_address" {
			t.Errorf("%s: meta = %+v, want param_name email_address", email, e.Meta)
		}
		// Set on a sign-up in progress, too.
		su := b.post("/client/sign_ups", form("username", "someone_new")).ok(t).signUp(t)
		b.do(http.MethodPatch, "/client/sign_ups/"+su.ID, form("email_address", email)).
			fails(t, http.StatusForbidden, "not_allowed_access")
	}
	// Signing in is refused too, for an account made before the block.
	b := h.browser()
	b.post("/client/sign_ins", form("identifier", "Old.Friend@EVIL.example")).fails(t, http.StatusForbidden, "not_allowed_access")
	b.post("/client/sign_ins", form("identifier", "old.friend@evil.example", "strategy", "password",
		"password", "correct-horse-battery-9")).fails(t, http.StatusForbidden, "not_allowed_access")
	// Unrelated addresses are not affected.
	b.post("/client/sign_ups", form("email_address", "someone@example.com", "password", "correct-horse-battery-9")).ok(t)

	// allowlist_blocklist_disabled_on_sign_in lets the existing account in again.
	h.restrict(map[string]bool{"allowlist_blocklist_disabled_on_sign_in": true})
	h.browser().signInPassword(t, "old.friend@evil.example", "correct-horse-battery-9")
	h.browser().post("/client/sign_ups", form("email_address", "new@evil.example", "password", "correct-horse-battery-9")).
		fails(t, http.StatusForbidden, "not_allowed_access")
}

func TestBlockedUsernameSignInRefusedAfterTheFactor(t *testing.T) {
	h := start(t)
	var u adminUser
	if st := h.admin(http.MethodPost, "/users", map[string]any{"email_address": []string{"eve@evil.example"},
		"username": "eve_user", "password": "correct-horse-battery-9"}, &u); st != http.StatusOK {
		t.Fatalf("create user: %d", st)
	}
	h.list("blocklist", "*@evil.example")
	h.restrict(map[string]bool{"blocklist": true})
	b := h.browser()
	// The username says nothing about the block until the password is proven.
	si := b.startSignIn(t, "eve_user")
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "wrong-password-123")).
		fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "correct-horse-battery-9")).
		fails(t, http.StatusForbidden, "not_allowed_access")
	if c := b.client(t); c != nil && len(c.Sessions) != 0 {
		t.Fatalf("a blocked user got a session: %+v", c.Sessions)
	}
}

func TestSubaddressAndDisposableSignUpsRefused(t *testing.T) {
	h := start(t)
	h.browser().post("/client/sign_ups", form("email_address", "a+b@example.com")).ok(t)
	h.restrict(map[string]bool{"block_email_subaddresses": true, "block_disposable_email_domains": true})
	for _, email := range []string{"a+b@example.com", "a=b@example.com", "a#b@example.com", "x@MAILINATOR.com", "x@guerrillamail.com"} {
		h.browser().post("/client/sign_ups", form("email_address", email)).fails(t, http.StatusForbidden, "not_allowed_access")
	}
	h.browser().post("/client/sign_ups", form("email_address", "plain@example.com")).ok(t)
}

func TestAllowlistLetsOnlyListedIdentifiersSignUp(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Auth.Identifiers.EmailAddress.Required = false })
	h.createUser("member@other.example", "correct-horse-battery-9")
	h.list("allowlist", "*@corp.example")
	h.list("allowlist", "guest@partner.example")
	h.list("allowlist", "+15555550100")
	h.restrict(map[string]bool{"allowlist": true})

	h.browser().post("/client/sign_ups", form("email_address", "outsider@example.com")).fails(t, http.StatusForbidden, "not_allowed_access")
	h.browser().post("/client/sign_ups", form("email_address", "guest+x@partner.example")).fails(t, http.StatusForbidden, "not_allowed_access")
	h.browser().post("/client/sign_ups", form("phone_number", "+15555550199")).fails(t, http.StatusForbidden, "not_allowed_access")
	// Nothing to judge by: refused once the sign-up would complete.
	h.browser().post("/client/sign_ups", form("username", "nobody_here", "password", "correct-horse-battery-9")).
		fails(t, http.StatusForbidden, "not_allowed_access")

	h.browser().post("/client/sign_ups", form("email_address", "Worker@Corp.Example")).ok(t)
	h.browser().post("/client/sign_ups", form("email_address", "guest@partner.example")).ok(t)
	su := h.browser().post("/client/sign_ups", form("phone_number", "+1 555 555 0100", "password", "correct-horse-battery-9")).ok(t).signUp(t)
	if su.Status != "complete" {
		t.Fatalf("allowlisted phone sign-up = %+v", su)
	}
	// The allowlist holds sign-ins too, unless switched off for them.
	h.browser().post("/client/sign_ins", form("identifier", "member@other.example")).fails(t, http.StatusForbidden, "not_allowed_access")
	h.restrict(map[string]bool{"allowlist_blocklist_disabled_on_sign_in": true})
	h.browser().signInPassword(t, "member@other.example", "correct-horse-battery-9")
}

func TestRestrictedSignUpMode(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Auth.SignUp.Mode = "restricted" })
	h.createUser("existing@example.com", "correct-horse-battery-9")
	h.list("allowlist", "invited@example.com")

	h.restrict(map[string]bool{"block_email_subaddresses": true})
	// The environment tells front ends to hide the sign-up prompt.
	res, err := http.Get(h.env.PublicURL + "/v1/environment")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		UserSettings struct {
			SignUp       struct{ Mode string } `json:"sign_up"`
			Restrictions map[string]struct {
				Enabled bool `json:"enabled"`
			} `json:"restrictions"`
		} `json:"user_settings"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if env.UserSettings.SignUp.Mode != "restricted" || !env.UserSettings.Restrictions["block_email_subaddresses"].Enabled ||
		env.UserSettings.Restrictions["blocklist"].Enabled {
		t.Fatalf("environment user_settings = %+v", env.UserSettings)
	}

	h.browser().post("/client/sign_ups", form("email_address", "stranger@example.com")).
		fails(t, http.StatusForbidden, "sign_up_mode_restricted")
	h.browser().post("/client/sign_ups", form("email_address", "invited@example.com")).ok(t)
	// Existing users sign in as before.
	h.browser().signInPassword(t, "existing@example.com", "correct-horse-battery-9")
}

// TestRestrictionsHoldAcrossReplicas changes the blocklist through one
// replica's Backend API and is refused by another replica at once.
func TestRestrictionsHoldAcrossReplicas(t *testing.T) {
	h := start(t)
	cfg := h.env.Server.Config
	second, err := server.Build(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), h.env.DB, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	public2 := httptest.NewServer(second.PublicHandler())
	t.Cleanup(public2.Close)

	b := h.browser()
	b.doURL(http.MethodPost, public2.URL+"/v1/client/sign_ups", form("email_address", "first@spam.example")).ok(t)
	h.list("blocklist", "*@spam.example")
	h.restrict(map[string]bool{"blocklist": true})
	r := h.browser().doURL(http.MethodPost, public2.URL+"/v1/client/sign_ups", form("email_address", "second@spam.example"))
	r.fails(t, http.StatusForbidden, "not_allowed_access")
}

// A signed-in user adding a phone number over /v1/me is bound by the
// blocklist and, unlike the operator, by the allowlist.
func TestMePhoneNumberAdditionsRestricted(t *testing.T) {
	h := startPhone(t)
	h.createUser("caller@example.com", "correct-horse-battery-9")
	h.list("allowlist", "caller@example.com")
	h.list("allowlist", "+447700900161")
	h.list("blocklist", "+447700900162")
	h.restrict(map[string]bool{"blocklist": true})
	b := h.browser()
	b.signInPassword(t, "caller@example.com", "correct-horse-battery-9")
	e := b.post("/me/phone_numbers", form("phone_number", "+44 7700 900162")).fails(t, http.StatusForbidden, "not_allowed_access")
	if e.Meta["param_name"] != "phone_number" {
		t.Errorf("meta = %+v", e.Meta)
	}
	b.post("/me/phone_numbers", form("phone_number", "+447700900163")).ok(t)
	h.restrict(map[string]bool{"allowlist": true})
	b.post("/me/phone_numbers", form("phone_number", "+447700900164")).fails(t, http.StatusForbidden, "not_allowed_access")
	b.post("/me/phone_numbers", form("phone_number", "+447700900161")).ok(t)
	// The operator is not bound by the allowlist.
	var u adminUser
	h.admin(http.MethodGet, "/users?email_address=caller@example.com", nil, &[]*adminUser{&u})
	if st := h.admin(http.MethodPost, "/phone_numbers", map[string]any{"user_id": u.ID, "phone_number": "+447700900165"}, nil); st != http.StatusOK {
		t.Fatalf("operator adds an unlisted number: %d", st)
	}
}
