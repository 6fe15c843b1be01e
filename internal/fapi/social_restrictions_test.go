package fapi_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// The instance's restrictions (allowlist, blocklist) judge the addresses
// providers give as they judge typed ones: a blocked address neither signs
// up nor signs in through a provider nor is connected, and with the
// allowlist on only allowlisted addresses sign up through a provider.
func TestSocialRestrictions(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	restrict := func(body map[string]any) {
		t.Helper()
		if st := h.admin(http.MethodPatch, "/instance/restrictions", body, nil); st != http.StatusOK {
			t.Fatalf("restrictions %v: %d", body, st)
		}
	}
	list := func(which, identifier string) {
		t.Helper()
		if st := h.admin(http.MethodPost, "/"+which+"_identifiers", map[string]any{"identifier": identifier}, nil); st != http.StatusOK {
			t.Fatalf("%s %s: %d", which, identifier, st)
		}
	}
	restrict(map[string]any{"blocklist": true})
	list("blocklist", "*@blocked.example")

	// A blocked address cannot sign up through the provider.
	up.account("acme-bad", "mallory@blocked.example", true)
	b := h.browser()
	backToAppWith(t, b, up.signIn(t, b), "not_allowed_access")
	b = h.browser()
	r := b.post("/client/sign_ups", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).ok(t)
	backToAppWith(t, b, b.callback(t, up.back(t, startURL(t, r))), "not_allowed_access")

	// A user who signed up with a fine address cannot connect a provider
	// account whose address is blocked.
	up.account("acme-ok", "olive@example.com", true)
	b = h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	uid := b.signedInUserID(t)
	up.account("acme-bad-2", "olive@blocked.example", true)
	r = b.post("/me/external_accounts", form("strategy", "oauth_custom_acme", "redirect_url", appOrigin+"/account")).ok(t)
	b.callback(t, up.back(t, startURL(t, r))).fails(t, http.StatusForbidden, "not_allowed_access")
	if ext := h.userExternal(uid); len(ext) != 1 {
		t.Fatalf("connected a blocked address: %+v", ext)
	}

	// Once the user's own address is blocked, the provider signs them in no more.
	list("blocklist", "olive@example.com")
	up.account("acme-ok", "olive@example.com", true)
	b2 := h.browser()
	backToAppWith(t, b2, up.signIn(t, b2), "not_allowed_access")

	// Allowlist on: only allowlisted addresses sign up through the provider.
	restrict(map[string]any{"allowlist": true})
	list("allowlist", "*@friends.example")
	up.account("acme-stranger", "stranger@example.org", true)
	stranger := h.browser()
	backToAppWith(t, stranger, up.signIn(t, stranger), "not_allowed_access")
	up.account("acme-friend", "fred@friends.example", true)
	b3 := h.browser()
	redirectsToApp(t, up.signIn(t, b3), appCallback)
	b3.signedInUserID(t)
}
