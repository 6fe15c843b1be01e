package fapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// While signed in: connect a provider, re-authorize it with more scopes,
// and disconnect it unless it is the last way to sign in.
func TestSocialConnectReauthorizeDisconnect(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{ExtraScopes: map[string][]string{"files.read": nil}})
	u := h.createUser("con@example.com", "correct horse battery")
	b := h.browser()
	b.signInPassword(t, "con@example.com", "correct horse battery")

	up.account("acme-con", "someone.else@example.com", true) // the provider account may have any email
	r := b.post("/me/external_accounts", form("strategy", "oauth_custom_acme", "redirect_url", appOrigin+"/account")).ok(t)
	redirectsToApp(t, b.callback(t, up.back(t, startURL(t, r))), appOrigin+"/account")
	ext := h.userExternal(u.ID)
	if len(ext) != 1 || ext[0].ProviderUserID != "acme-con" || strings.Contains(ext[0].ApprovedScopes, "files.read") {
		t.Fatalf("after connect: %+v", ext)
	}
	list := b.get("/me/external_accounts").ok(t)
	if !strings.Contains(string(list.Response), `"acme-con"`) || strings.Contains(string(list.Body), "access_token") {
		t.Fatalf("list: %s", list.Body)
	}

	// Re-authorize with one more scope.
	r = b.do(http.MethodPatch, "/me/external_accounts/"+ext[0].ID+"/reauthorize", form("additional_scopes", "files.read", "redirect_url", appOrigin+"/account")).ok(t)
	redirectsToApp(t, b.callback(t, up.back(t, startURL(t, r))), appOrigin+"/account")
	ext = h.userExternal(u.ID)
	if len(ext) != 1 || !strings.Contains(ext[0].ApprovedScopes, "files.read") || !strings.Contains(ext[0].ApprovedScopes, "openid") {
		t.Fatalf("after reauthorize: %+v", ext)
	}

	// The provider account is this user's: another user cannot connect it.
	other := h.createUser("other@example.com", "correct horse battery")
	b2 := h.browser()
	b2.signInPassword(t, "other@example.com", "correct horse battery")
	r = b2.post("/me/external_accounts", form("strategy", "oauth_custom_acme", "redirect_url", appOrigin+"/account")).ok(t)
	b2.callback(t, up.back(t, startURL(t, r))).fails(t, 422, "external_account_exists")
	if len(h.userExternal(other.ID)) != 0 {
		t.Fatal("connected to a second user")
	}

	// Disconnect: allowed (the user has a password).
	b.do(http.MethodDelete, "/me/external_accounts/"+ext[0].ID, nil).ok(t)
	if len(h.userExternal(u.ID)) != 0 {
		t.Fatal("still connected")
	}
	// Signed out, nothing works.
	h.browser().get("/me/external_accounts").fails(t, 401, "authentication_invalid")
}

// A user who signed up through a provider (no password) cannot disconnect it.
func TestSocialDisconnectLastWayToSignInRefused(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{}, func(c *configT) { c.Auth.FirstFactors.EmailCode, c.Auth.FirstFactors.EmailLink = false, false })
	up.account("acme-only", "only@example.com", true)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	ext := h.userExternal(b.signedInUserID(t))
	b.do(http.MethodDelete, "/me/external_accounts/"+ext[0].ID, nil).fails(t, 422, "external_account_last_sign_in_method")
	b.do(http.MethodDelete, "/me/external_accounts/eac_nope", nil).fails(t, 404, "resource_not_found")
}

// A native app signs in with an ID token it got from the provider itself:
// checked against the provider's keys, issuer and audience.
func TestSocialNativeIDToken(t *testing.T) {
	h, up := startSocial(t, nil)
	f := up.fake
	claims := func(aud string, exp time.Duration) map[string]any {
		return map[string]any{"iss": f.URL, "aud": aud, "sub": "native-1", "email": "nat@example.com", "email_verified": true,
			"iat": time.Now().Unix(), "exp": time.Now().Add(exp).Unix()}
	}
	app := h.nativeApp()
	si := app.post("/client/sign_ins?_is_native=1", form("strategy", "oauth_token_custom_acme", "token", f.Sign(claims(f.ClientID, time.Minute)))).ok(t).signIn(t)
	// A new account: the sign-in is transferable, and the sign-up it was
	// transferred to is complete.
	c := app.client(t)
	if si.FirstFactorVerification == nil || si.FirstFactorVerification.Status != "transferable" || c == nil || len(c.Sessions) != 1 {
		t.Fatalf("native sign-in: %+v / %+v", si, c)
	}
	h.nativeApp().post("/client/sign_ins?_is_native=1", form("strategy", "oauth_token_custom_acme", "token", f.Sign(claims("another-app", time.Minute)))).fails(t, 422, "oauth_id_token_invalid")
	h.nativeApp().post("/client/sign_ins?_is_native=1", form("strategy", "oauth_token_custom_acme", "token", f.Sign(claims(f.ClientID, -time.Minute)))).fails(t, 422, "oauth_id_token_invalid")
	bad := claims(f.ClientID, time.Minute)
	bad["iss"] = "https://evil.example"
	h.nativeApp().post("/client/sign_ins?_is_native=1", form("strategy", "oauth_token_custom_acme", "token", f.Sign(bad))).fails(t, 422, "oauth_issuer_mismatch")
	// Signed by someone else: a token from another fake provider.
	stranger := startFakeOnly(t)
	h.nativeApp().post("/client/sign_ins?_is_native=1", form("strategy", "oauth_token_custom_acme", "token", stranger.Sign(claims(f.ClientID, time.Minute)))).fails(t, 422, "oauth_id_token_invalid")
	// Signing in again with a fresh token finds the same account.
	app2 := h.nativeApp()
	si = app2.post("/client/sign_ins?_is_native=1", form("strategy", "oauth_token_custom_acme", "token", f.Sign(claims(f.ClientID, time.Minute)))).ok(t).signIn(t)
	if si.Status != "complete" {
		t.Fatalf("second native sign-in: %+v", si)
	}
}

// A user holds several external accounts, one per provider account: two
// accounts at the same provider both sign in as the user, and the token
// wallet hands out a token for each.
func TestSocialSeveralAccountsAtOneProvider(t *testing.T) {
	h, up := startUpstreamClient(t, upstreamtest.Options{}, upstreamtest.Client{RefreshTokenWithoutOfflineAccess: true})
	up.account("acme-work", "pat@example.com", true)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	uid := b.signedInUserID(t)

	up.account("acme-home", "pat.home@example.com", true)
	r := b.post("/me/external_accounts", form("strategy", "oauth_custom_acme", "redirect_url", appOrigin+"/account")).ok(t)
	redirectsToApp(t, b.callback(t, up.back(t, startURL(t, r))), appOrigin+"/account")
	ext := h.userExternal(uid)
	if len(ext) != 2 || ext[0].ProviderUserID != "acme-work" || ext[1].ProviderUserID != "acme-home" {
		t.Fatalf("external accounts: %+v", ext)
	}
	// The second provider account signs in as the same user.
	b2 := h.browser()
	redirectsToApp(t, up.signIn(t, b2), appCallback)
	if got := b2.signedInUserID(t); got != uid {
		t.Fatalf("signed in with the second account as %s, want %s", got, uid)
	}
	var page struct {
		Data []struct {
			ExternalAccountID string `json:"external_account_id"`
			Token             string `json:"token"`
		} `json:"data"`
		TotalCount int `json:"total_count"`
	}
	if st := h.admin(http.MethodGet, "/users/"+uid+"/oauth_access_tokens/oauth_custom_acme?paginated=true", nil, &page); st != http.StatusOK ||
		page.TotalCount != 2 || len(page.Data) != 2 || page.Data[0].ExternalAccountID != ext[0].ID ||
		!upstreamAccepts(t, up.real, page.Data[0].Token) || !upstreamAccepts(t, up.real, page.Data[1].Token) {
		t.Fatalf("wallet: %d %+v", st, page)
	}
}
