package fapi_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/social/socialtest"
	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// The state is single use, bound to the browser (client) that started the
// flow, and cannot be made up.
func TestSocialStateForgedReplayedOrStolen(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	up.account("acme-st", "st@example.com", true)
	b := h.browser()
	r := b.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).ok(t)
	cb := up.back(t, startURL(t, r))

	// Another browser presenting the callback (a stolen or injected response).
	thief := h.browser()
	thief.post("/client/sign_ins", form("identifier", "nobody@example.com")).ok(t) // it has a client of its own
	thief.callback(t, cb).fails(t, 422, "oauth_state_invalid")
	// The state was spent by that attempt: the rightful browser cannot use it either.
	b.callback(t, cb).fails(t, 422, "oauth_state_invalid")

	// A fresh flow completes once; replaying its callback fails.
	r = b.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).ok(t)
	cb = up.back(t, startURL(t, r))
	redirectsToApp(t, b.callback(t, cb), appCallback)
	b.callback(t, cb).fails(t, 422, "oauth_state_invalid")

	// A forged state.
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Set("state", "forged-state-value")
	u.RawQuery = q.Encode()
	h.browser().callback(t, u.String()).fails(t, 422, "oauth_state_invalid")
	// A person's browser (Accept: text/html) gets the same refusal as a
	// page with a way back to sign in, not JSON.
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 422 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(page), `href="/sign-in"`) {
		t.Fatalf("browser callback with a forged state: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	if c := thief.client(t); len(c.Sessions) != 0 {
		t.Fatalf("the thief got a session: %+v", c.Sessions)
	}
}

// A provider declining the login leaves nothing signed in.
func TestSocialProviderDeniesLogin(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	up.account("acme-deny", "deny@example.com", true)
	up.real.DenyLogins()
	b := h.browser()
	r := b.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).ok(t)
	backToAppWith(t, b, b.callback(t, up.back(t, startURL(t, r))), "oauth_access_denied")
}

// Mix-up defence: a response whose iss names another provider is refused
// before its code is used.
func TestSocialCallbackWithAnotherProvidersIssuer(t *testing.T) {
	h, up := startSocial(t, nil)
	up.account("acme-mix", "mix@example.com", true)
	up.fake.Set(func(f *socialtest.Fake) { f.IssOverride = "https://evil.example" })
	b := h.browser()
	backToAppWith(t, b, up.signIn(t, b), "oauth_issuer_mismatch")
}

// A provider that promises iss (RFC 9207) must send it.
func TestSocialCallbackWithoutPromisedIssuer(t *testing.T) {
	h, up := startSocial(t, nil)
	up.account("acme-noiss", "noiss@example.com", true)
	up.fake.Set(func(f *socialtest.Fake) { f.AdvertiseIss = true })
	b := h.browser()
	backToAppWith(t, b, up.signIn(t, b), "oauth_issuer_mismatch")
	up.fake.Set(func(f *socialtest.Fake) { f.SendIss = true })
	redirectsToApp(t, up.signIn(t, h.browser()), appCallback)
}

// A provider not enabled for sign-in can only be connected.
func TestSocialProviderOnlyForConnecting(t *testing.T) {
	off := false
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		c := acmeOIDC(f)
		c.SignInEnabled = &off
		return c
	})
	b := h.browser()
	b.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).fails(t, 422, "form_param_value_invalid")
	b.post("/client/sign_ups", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).fails(t, 422, "form_param_value_invalid")
	u := h.createUser("conn@example.com", "correct horse battery")
	b.signInPassword(t, "conn@example.com", "correct horse battery")
	up.account("acme-conn", "conn@example.com", true)
	r := b.post("/me/external_accounts", form("strategy", "oauth_custom_acme", "redirect_url", appOrigin+"/account")).ok(t)
	redirectsToApp(t, b.callback(t, up.back(t, startURL(t, r))), appOrigin+"/account")
	if ext := h.userExternal(u.ID); len(ext) != 1 {
		t.Fatalf("not connected: %+v", ext)
	}
	if env := b.get("/environment"); !strings.Contains(string(env.Body), `"authenticatable":false`) {
		t.Fatalf("environment: %s", env.Body)
	}
}

// The ID token must carry this flow's nonce.
func TestSocialNonceMissingOrMismatched(t *testing.T) {
	h, up := startSocial(t, nil)
	up.account("acme-n", "n@example.com", true)
	up.fake.Set(func(f *socialtest.Fake) { f.NonceOverride = "someone-elses-nonce" })
	b := h.browser()
	backToAppWith(t, b, up.signIn(t, b), "oauth_id_token_invalid")
	up.fake.Set(func(f *socialtest.Fake) { f.NonceOverride, f.OmitNonce = "", true })
	b = h.browser()
	backToAppWith(t, b, up.signIn(t, b), "oauth_id_token_invalid")
	up.fake.Set(func(f *socialtest.Fake) { f.OmitNonce = false })
	redirectsToApp(t, up.signIn(t, h.browser()), appCallback)
}

// email_verified as the string "true" (or missing) is not proof: an
// existing account is linked only after a code.
func TestSocialEmailVerifiedAsStringIsNotProof(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	u := h.createUser("str@example.com", "correct horse battery")
	for i, verified := range []any{"true", nil} {
		up.account("acme-str-"+string(rune('a'+i)), "str@example.com", verified)
		b := h.browser()
		redirectsToApp(t, up.signIn(t, b), appCallback)
		if c := b.client(t); len(c.Sessions) != 0 || c.SignIn == nil || c.SignIn.Status != "needs_first_factor" {
			t.Fatalf("email_verified=%v signed in without proof: %+v", verified, c)
		}
		h.code("str@example.com") // the code went to the owner, not to whoever holds the provider account
	}
	if ext := h.userExternal(u.ID); len(ext) != 0 {
		t.Fatalf("linked on an unproven claim: %+v", ext)
	}
}

// The same email under a different provider user id is another provider
// account: it neither takes over the first one nor links without proof.
func TestSocialSameEmailDifferentSubject(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	up.account("acme-owner", "own@example.com", true)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	owner := b.signedInUserID(t)

	up.account("acme-other", "own@example.com", false)
	b2 := h.browser()
	redirectsToApp(t, up.signIn(t, b2), appCallback)
	if c := b2.client(t); len(c.Sessions) != 0 {
		t.Fatal("a second provider account with the same unverified email signed in")
	}
	ext := h.userExternal(owner)
	if len(ext) != 1 || ext[0].ProviderUserID != "acme-owner" {
		t.Fatalf("the owner's external accounts changed: %+v", ext)
	}
}

// Google's block on subaddresses (on by default): user+tag@ cannot sign up
// or sign in (or be connected).
func TestSocialGoogleSubaddressBlocked(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "google", Issuer: f.URL, ClientID: f.ClientID, ClientSecret: f.ClientSecret}
	})
	up.fake.SetAccount(map[string]any{"sub": "g-1", "email": "eve+alt@gmail.com", "email_verified": true})
	b := h.browser()
	r := b.post("/client/sign_ins", form("strategy", "oauth_google", "redirect_url", appCallback)).ok(t)
	authURL := startURL(t, r)
	if !strings.Contains(authURL, "access_type=offline") {
		t.Fatalf("Google's authorization URL lacks access_type=offline: %s", authURL)
	}
	backToAppWith(t, b, b.callback(t, up.back(t, authURL)), "email_address_blocked")
	// Without the subaddress it works, and the environment says the block is on.
	up.fake.SetAccount(map[string]any{"sub": "g-1", "email": "eve@gmail.com", "email_verified": true})
	r = b.post("/client/sign_ins", form("strategy", "oauth_google", "redirect_url", appCallback)).ok(t)
	redirectsToApp(t, b.callback(t, up.back(t, startURL(t, r))), appCallback)
	env := b.get("/environment")
	if !strings.Contains(string(env.Body), `"block_email_subaddresses":true`) || !strings.Contains(string(env.Body), `"oauth_google"`) {
		t.Fatalf("environment: %s", env.Body)
	}
	// Signed in, a subaddressed Google account cannot be connected either.
	up.fake.SetAccount(map[string]any{"sub": "g-2", "email": "eve=work@gmail.com", "email_verified": true})
	r = b.post("/me/external_accounts", form("strategy", "oauth_google", "redirect_url", appOrigin+"/account")).ok(t)
	b.callback(t, up.back(t, startURL(t, r))).fails(t, 422, "email_address_blocked")
	if ext := h.userExternal(b.signedInUserID(t)); len(ext) != 1 || ext[0].ProviderUserID != "g-1" {
		t.Fatalf("external accounts after a refused connect: %+v", ext)
	}
}

// Only allowed origins may be returned to; unknown strategies are refused.
func TestSocialRedirectAndStrategyChecks(t *testing.T) {
	h, _ := startSocial(t, nil)
	b := h.browser()
	b.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", "https://evil.example/cb")).fails(t, 422, "form_param_value_invalid")
	b.post("/client/sign_ins", form("strategy", "oauth_custom_acme")).fails(t, 422, "form_param_missing")
	b.post("/client/sign_ins", form("strategy", "oauth_github", "redirect_url", appCallback)).fails(t, 422, "form_param_value_invalid")
	b.post("/client/sign_ups", form("strategy", "oauth_custom_acme", "redirect_url", "https://evil.example/cb")).fails(t, 422, "form_param_value_invalid")
	if res := b.doURL(http.MethodGet, h.env.PublicURL+"/v1/oauth_callback", nil); res.Status != 422 {
		t.Fatalf("a bare callback: %d", res.Status)
	}
}
