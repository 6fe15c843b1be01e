package fapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// A native app's "Continue with Acme" (item 6): its custom-scheme redirect
// URL must be on the /v1/redirect_urls allowlist. The provider answers in
// the system browser, which does not hold the app's client: the callback
// sends the browser to the app's URL with a one-time rotating_token_nonce,
// and only the app's own client, presenting it, completes the sign-in.
func TestSocialNativeAppRedirectAllowlist(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	u := h.createUser("nat@example.com", "correct horse battery")
	up.account("acme-nat", "nat@example.com", true)
	const appURL = "myapp://oauth-callback"
	app := h.nativeApp()
	start := func() *resp {
		return app.post("/client/sign_ins?_is_native=1", form("strategy", "oauth_custom_acme", "redirect_url", appURL))
	}
	start().fails(t, 422, "form_param_value_invalid")

	var created struct {
		ID string `json:"id"`
	}
	if st := h.admin(http.MethodPost, "/redirect_urls", map[string]string{"url": appURL}, &created); st != http.StatusOK {
		t.Fatalf("allowlist %s: %d", appURL, st)
	}
	r := start().ok(t)
	si := r.signIn(t)
	systemBrowser := h.browser()
	back := systemBrowser.callback(t, up.back(t, startURL(t, r)))
	loc, err := url.Parse(back.Header.Get("Location"))
	if back.Status != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), appURL+"?") {
		t.Fatalf("callback in the system browser: %d to %q: %s", back.Status, back.Header.Get("Location"), back.Body)
	}
	nonce := loc.Query().Get("rotating_token_nonce")
	if nonce == "" {
		t.Fatalf("no nonce for the app in %s", loc)
	}
	if c := systemBrowser.client(t); c != nil && len(c.Sessions) != 0 {
		t.Fatal("the system browser was signed in")
	}
	if c := app.client(t); len(c.Sessions) != 0 {
		t.Fatal("signed in before the app presented the nonce")
	}
	// Another client cannot use the nonce, nor the app a wrong one.
	other := h.nativeApp()
	other.post("/client/sign_ins?_is_native=1", form("strategy", "oauth_custom_acme", "redirect_url", appURL)).ok(t)
	other.get("/client/sign_ins/"+si.ID+"?_is_native=1&rotating_token_nonce="+url.QueryEscape(nonce)).fails(t, 422, "oauth_state_invalid")
	app.get("/client/sign_ins/"+si.ID+"?_is_native=1&rotating_token_nonce=wrong").fails(t, 422, "oauth_state_invalid")

	done := app.get("/client/sign_ins/" + si.ID + "?_is_native=1&rotating_token_nonce=" + url.QueryEscape(nonce)).ok(t).signIn(t)
	if done.Status != "complete" || app.signedInUserID(t) != u.ID {
		t.Fatalf("after the nonce: %+v", done)
	}
	if ext := h.userExternal(u.ID); len(ext) != 1 || ext[0].ProviderUserID != "acme-nat" {
		t.Fatalf("not linked: %+v", ext)
	}
	// Once only.
	app.get("/client/sign_ins/"+si.ID+"?_is_native=1&rotating_token_nonce="+url.QueryEscape(nonce)).fails(t, 422, "oauth_state_invalid")

	// A sign-up from the app, for a new person, completes the same way.
	up.account("acme-new", "newbie@example.com", true)
	app2 := h.nativeApp()
	r = app2.post("/client/sign_ups?_is_native=1", form("strategy", "oauth_custom_acme", "redirect_url", appURL)).ok(t)
	su := r.signUp(t)
	back = h.browser().callback(t, up.back(t, startURL(t, r)))
	loc, _ = url.Parse(back.Header.Get("Location"))
	nonce = loc.Query().Get("rotating_token_nonce")
	if back.Status != http.StatusSeeOther || nonce == "" {
		t.Fatalf("sign-up callback: %d %q", back.Status, back.Header.Get("Location"))
	}
	su = app2.get("/client/sign_ups/" + su.ID + "?_is_native=1&rotating_token_nonce=" + url.QueryEscape(nonce)).ok(t).signUp(t)
	if su.Status != "complete" || app2.signedInUserID(t) == u.ID {
		t.Fatalf("native sign-up: %+v", su)
	}

	// Off the allowlist, the URL is refused again.
	if st := h.admin(http.MethodDelete, "/redirect_urls/"+created.ID, nil, nil); st != http.StatusOK {
		t.Fatalf("delete from the allowlist: %d", st)
	}
	h.nativeApp().post("/client/sign_ins?_is_native=1", form("strategy", "oauth_custom_acme", "redirect_url", appURL)).fails(t, 422, "form_param_value_invalid")
}
