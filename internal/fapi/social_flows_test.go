package fapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// Signing in through a provider with no account creates one (sign-up
// transfer); signing in again finds it by (provider, subject) only.
func TestSocialSignUpThroughProviderThenSignInAgain(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	up.account("acme-1", "ada@example.com", true)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	uid := b.signedInUserID(t)

	ext := h.userExternal(uid)
	if len(ext) != 1 || ext[0].Provider != "oauth_custom_acme" || ext[0].ProviderUserID != "acme-1" ||
		ext[0].EmailAddress != "ada@example.com" || !ext[0].EmailAddressVerified || ext[0].FirstName != "Ada" ||
		ext[0].Object != "external_account" || ext[0].Verification.Status != "verified" || ext[0].NeedsReauthorization == nil {
		t.Fatalf("external accounts after sign-up: %+v", ext)
	}
	var u adminUser
	h.admin(http.MethodGet, "/users/"+uid, nil, &u)
	if len(u.EmailAddresses) != 1 || u.EmailAddresses[0].Verification == nil || u.EmailAddresses[0].Verification.Status != "verified" ||
		u.EmailAddresses[0].Verification.Strategy != "from_oauth_custom_acme" || u.PasswordEnabled {
		t.Fatalf("user after sign-up: %+v", u)
	}

	// Again, from another browser, with a changed email at the provider:
	// the subject decides, the account is the same.
	up.account("acme-1", "ada.l@example.com", true)
	b2 := h.browser()
	redirectsToApp(t, up.signIn(t, b2), appCallback)
	if got := b2.signedInUserID(t); got != uid {
		t.Fatalf("second sign-in: user %s, want %s", got, uid)
	}
	if ext := h.userExternal(uid); len(ext) != 1 || ext[0].EmailAddress != "ada.l@example.com" {
		t.Fatalf("external account not refreshed: %+v", ext)
	}
}

// A sign-up through a provider signs in when the account already exists,
// and action_complete_redirect_url is where a completed flow lands.
func TestSocialSignUpStrategyAndExistingAccount(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	up.account("acme-2", "grace@example.com", true)
	b := h.browser()
	r := b.post("/client/sign_ups", form("strategy", "oauth_custom_acme", "redirect_url", appCallback,
		"action_complete_redirect_url", appOrigin+"/dashboard")).ok(t)
	if su := r.signUp(t); su.Status != "missing_requirements" {
		t.Fatalf("sign-up starts %s", su.Status)
	}
	redirectsToApp(t, b.callback(t, up.back(t, startURL(t, r))), appOrigin+"/dashboard")
	uid := b.signedInUserID(t)

	b2 := h.browser()
	r = b2.post("/client/sign_ups", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).ok(t)
	redirectsToApp(t, b2.callback(t, up.back(t, startURL(t, r))), appCallback)
	if got := b2.signedInUserID(t); got != uid {
		t.Fatalf("sign-up with an existing account signed in as %s, want %s", got, uid)
	}
	// transfer=true hands back the sign-up the callback made (none here: it signed in).
	b3 := h.browser()
	up.account("acme-3", "", nil)
	r = b3.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).ok(t)
	redirectsToApp(t, b3.callback(t, up.back(t, startURL(t, r))), appCallback)
	su := b3.post("/client/sign_ups", form("transfer", "true")).ok(t).signUp(t)
	if su.Status != "missing_requirements" || !contains(su.MissingFields, "email_address") {
		t.Fatalf("transferred sign-up without an email: %+v", su)
	}
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// Item 4, case 1: verified at the provider and here → linked, signed in, no password.
func TestSocialLinkWhenVerifiedOnBothSides(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	u := h.createUser("lin@example.com", "correct horse battery", "Lin")
	up.account("acme-lin", "lin@example.com", true)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	if got := b.signedInUserID(t); got != u.ID {
		t.Fatalf("signed in as %s, want %s", got, u.ID)
	}
	if ext := h.userExternal(u.ID); len(ext) != 1 || ext[0].ProviderUserID != "acme-lin" {
		t.Fatalf("not linked: %+v", ext)
	}
}

// Item 4, case 2: unverified at the provider → a code to the address first,
// then the link. Until then nothing is linked and nobody is signed in.
func TestSocialLinkWhenUnverifiedAtProvider(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	u := h.createUser("mo@example.com", "correct horse battery")
	up.account("acme-mo", "mo@example.com", false)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	c := b.client(t)
	if len(c.Sessions) != 0 || c.SignIn == nil || c.SignIn.Status != "needs_first_factor" ||
		c.SignIn.FirstFactorVerification == nil || c.SignIn.FirstFactorVerification.Strategy != "email_code" {
		t.Fatalf("client after callback: %+v", c)
	}
	if ext := h.userExternal(u.ID); len(ext) != 0 {
		t.Fatalf("linked before the email was proven: %+v", ext)
	}
	code := h.code("mo@example.com")
	si := b.post("/client/sign_ins/"+c.SignIn.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).ok(t).signIn(t)
	if si.Status != "complete" || b.signedInUserID(t) != u.ID {
		t.Fatalf("after the code: %+v", si)
	}
	if ext := h.userExternal(u.ID); len(ext) != 1 || ext[0].ProviderUserID != "acme-mo" || ext[0].EmailAddressVerified {
		t.Fatalf("after the code: %+v", ext)
	}
	// The tokens held while the code was awaited went to the account: the
	// wallet hands out one the provider accepts.
	var tokens []struct {
		Token string `json:"token"`
	}
	if st := h.admin(http.MethodGet, "/users/"+u.ID+"/oauth_access_tokens/oauth_custom_acme", nil, &tokens); st != http.StatusOK ||
		len(tokens) != 1 || !upstreamAccepts(t, up.real, tokens[0].Token) {
		t.Fatalf("wallet after a held link: %d %+v", st, tokens)
	}
}

// Item 4, case 3: unverified here → prove the address and set a new
// password; the old password (perhaps someone else's) does not link.
func TestSocialLinkWhenUnverifiedHere(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	u := h.createUser("sq@example.com", "squatter password 1")
	var ok map[string]any
	if st := h.admin(http.MethodPatch, "/email_addresses/"+u.EmailAddresses[0].ID, map[string]any{"verified": false}, &ok); st != http.StatusOK {
		t.Fatalf("unverify: %d %v", st, ok)
	}
	up.account("acme-sq", "sq@example.com", true)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	c := b.client(t)
	if c.SignIn == nil || c.SignIn.Status != "needs_first_factor" || c.SignIn.FirstFactorVerification == nil ||
		c.SignIn.FirstFactorVerification.Strategy != "reset_password_email_code" {
		t.Fatalf("client after callback: %+v", c.SignIn)
	}
	// The squatter's password completes the sign-in but links nothing.
	sq := h.browser()
	sq.signInPassword(t, "sq@example.com", "squatter password 1")
	if ext := h.userExternal(u.ID); len(ext) != 0 {
		t.Fatalf("linked through the old password: %+v", ext)
	}
	code := h.code("sq@example.com")
	si := b.post("/client/sign_ins/"+c.SignIn.ID+"/attempt_first_factor", form("strategy", "reset_password_email_code", "code", code)).ok(t).signIn(t)
	if si.Status != "needs_new_password" {
		t.Fatalf("after the code: %s", si.Status)
	}
	si = b.post("/client/sign_ins/"+si.ID+"/reset_password", form("password", "the owner's new password")).ok(t).signIn(t)
	if si.Status != "complete" || b.signedInUserID(t) != u.ID {
		t.Fatalf("after the new password: %+v", si)
	}
	if ext := h.userExternal(u.ID); len(ext) != 1 || ext[0].ProviderUserID != "acme-sq" {
		t.Fatalf("not linked after the new password: %+v", ext)
	}
	// The squatter's session ended with the password it was opened with.
	if c := sq.client(t); len(c.Sessions) != 0 {
		t.Fatalf("the old password's session survived: %+v", c.Sessions)
	}
}

// Extra scopes are requested from the provider and recorded as approved.
func TestSocialAdditionalScopes(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{ExtraScopes: map[string][]string{"calendar.read": nil, "drive.file": nil}})
	up.account("acme-sc", "sc@example.com", true)
	b := h.browser()
	r := b.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", appCallback,
		"additional_scopes", "calendar.read drive.file")).ok(t)
	authURL := startURL(t, r)
	q, _ := url.Parse(authURL)
	scope := q.Query().Get("scope")
	for _, want := range []string{"openid", "email", "calendar.read", "drive.file"} {
		if !strings.Contains(" "+scope+" ", " "+want+" ") {
			t.Fatalf("scope %q lacks %s", scope, want)
		}
	}
	if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("nonce") == "" || q.Query().Get("state") == "" {
		t.Fatalf("authorization request lacks PKCE, nonce or state: %s", authURL)
	}
	redirectsToApp(t, b.callback(t, up.back(t, authURL)), appCallback)
	ext := h.userExternal(b.signedInUserID(t))
	if len(ext) != 1 || !strings.Contains(ext[0].ApprovedScopes, "calendar.read") {
		t.Fatalf("approved scopes: %+v", ext)
	}
}
