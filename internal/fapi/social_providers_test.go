package fapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/social/socialtest"
)

// providerSignIn runs a sign-in through the named built-in provider served by the fake.
func providerSignIn(t *testing.T, h *harness, up *upstream, strategy string) (*browser, *resp) {
	t.Helper()
	b := h.browser()
	r := b.post("/client/sign_ins", form("strategy", strategy, "redirect_url", appCallback)).ok(t)
	return b, b.callback(t, up.back(t, startURL(t, r)))
}

// GitHub: the profile from GET /user, the email from GET /user/emails —
// the verified primary one, never an unverified address as verified.
func TestSocialGitHubProfileAndVerifiedEmails(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "github", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
			AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", APIURL: f.URL}
	})
	up.fake.Set(func(f *socialtest.Fake) {
		f.GitHubUser = map[string]any{"login": "octocat", "id": 583231, "avatar_url": "https://avatars.githubusercontent.com/u/583231",
			"name": "The Octocat", "email": "octocat@unverified.example"}
		f.GitHubEmails = []map[string]any{
			{"email": "octocat@unverified.example", "primary": false, "verified": false, "visibility": nil},
			{"email": "octocat@github.com", "primary": true, "verified": true, "visibility": "public"},
		}
	})
	b, res := providerSignIn(t, h, up, "oauth_github")
	redirectsToApp(t, res, appCallback)
	ext := h.userExternal(b.signedInUserID(t))
	if len(ext) != 1 || ext[0].ProviderUserID != "583231" || ext[0].EmailAddress != "octocat@github.com" ||
		!ext[0].EmailAddressVerified || ext[0].Username == nil || *ext[0].Username != "octocat" ||
		ext[0].FirstName != "The" || ext[0].LastName != "Octocat" {
		t.Fatalf("GitHub account: %+v", ext)
	}
	if sc := up.fake.LastParams.Get("scope"); !strings.Contains(sc, "user:email") {
		t.Fatalf("GitHub scopes: %q", sc)
	}

	// Only an unverified primary address: kept, but as unverified, so an
	// existing account with it is not linked without a code.
	h.createUser("cat@example.com", "correct horse battery")
	up.fake.Set(func(f *socialtest.Fake) {
		f.GitHubUser = map[string]any{"login": "cat", "id": 42, "name": "Cat"}
		f.GitHubEmails = []map[string]any{{"email": "cat@example.com", "primary": true, "verified": false}}
	})
	b, res = providerSignIn(t, h, up, "oauth_github")
	redirectsToApp(t, res, appCallback)
	if c := b.client(t); len(c.Sessions) != 0 || c.SignIn == nil || c.SignIn.Status != "needs_first_factor" {
		t.Fatalf("an unverified GitHub email signed in: %+v", c)
	}
}

// Facebook: the Graph API's /me; its email is not proof of ownership.
func TestSocialFacebookGraphProfile(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "facebook", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
			AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", APIURL: f.URL}
	}, func(c *config.Config) { c.Auth.SignUp.EmailVerificationRequired = false })
	up.fake.Set(func(f *socialtest.Fake) {
		f.FacebookMe = map[string]any{"id": "10158012345678901", "email": "zuck@example.com", "first_name": "Mark",
			"last_name": "Z", "picture": map[string]any{"data": map[string]any{"height": 50, "is_silhouette": false,
				"url": "https://platform-lookaside.fbsbx.com/p.jpg", "width": 50}}}
	})
	b, res := providerSignIn(t, h, up, "oauth_facebook")
	redirectsToApp(t, res, appCallback)
	ext := h.userExternal(b.signedInUserID(t))
	if len(ext) != 1 || ext[0].ProviderUserID != "10158012345678901" || ext[0].EmailAddress != "zuck@example.com" ||
		ext[0].EmailAddressVerified || ext[0].FirstName != "Mark" || ext[0].ImageURL != "https://platform-lookaside.fbsbx.com/p.jpg" {
		t.Fatalf("Facebook account: %+v", ext)
	}
}

// Apple: response_mode=form_post, and the name only in the "user" form
// field of the first authorization.
func TestSocialAppleNameOnFirstLogin(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "apple", Issuer: f.URL, ClientID: f.ClientID, ClientSecret: f.ClientSecret}
	})
	up.fake.Set(func(f *socialtest.Fake) {
		f.Account = map[string]any{"sub": "001234.abcd", "email": "x7@privaterelay.appleid.com", "email_verified": "true",
			"is_private_email": "true"}
		f.FormPostUser = `{"name":{"firstName":"Tim","lastName":"Apple"},"email":"x7@privaterelay.appleid.com"}`
	})
	b := h.browser()
	r := b.post("/client/sign_ins", form("strategy", "oauth_apple", "redirect_url", appCallback)).ok(t)
	authURL := startURL(t, r)
	if !strings.Contains(authURL, "response_mode=form_post") {
		t.Fatalf("Apple's authorization URL lacks form_post: %s", authURL)
	}
	// Apple posts the response cross-site; Latchkey turns it into a GET that
	// carries the browser's cookie.
	cb, _ := url.Parse(up.back(t, authURL))
	post := b.doURL(http.MethodPost, h.env.PublicURL+"/v1/oauth_callback", cb.Query())
	if post.Status != http.StatusSeeOther {
		t.Fatalf("form_post: %d %s", post.Status, post.Body)
	}
	loc, _ := url.Parse(post.Header.Get("Location"))
	redirectsToApp(t, b.callback(t, h.env.PublicURL+loc.Path+"?"+loc.RawQuery), appCallback)
	uid := b.signedInUserID(t)
	ext := h.userExternal(uid)
	if len(ext) != 1 || ext[0].FirstName != "Tim" || ext[0].LastName != "Apple" || !ext[0].EmailAddressVerified {
		t.Fatalf("Apple account: %+v", ext)
	}
	// Later logins carry no name; the account keeps the one it has.
	up.fake.Set(func(f *socialtest.Fake) { f.FormPostUser = "" })
	b2, res := providerSignIn(t, h, up, "oauth_apple")
	redirectsToApp(t, res, appCallback)
	if b2.signedInUserID(t) != uid {
		t.Fatal("second Apple login found another user")
	}
}

// Microsoft: the issuer is per tenant (checked against the token's tid),
// and the email claim is not proof of ownership unless xms_edov says so.
func TestSocialMicrosoftClaims(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "microsoft", Issuer: f.URL, ClientID: f.ClientID, ClientSecret: f.ClientSecret}
	})
	u := h.createUser("boss@contoso.example", "correct horse battery")
	up.fake.SetAccount(map[string]any{"sub": "ms-1", "oid": "00000000-0000-0000-66f3-3332eca7ea81", "tid": "9188040d",
		"email": "boss@contoso.example", "email_verified": true, "preferred_username": "boss@contoso.example", "name": "Big Boss"})
	b, res := providerSignIn(t, h, up, "oauth_microsoft")
	redirectsToApp(t, res, appCallback)
	if c := b.client(t); len(c.Sessions) != 0 || c.SignIn == nil || c.SignIn.Status != "needs_first_factor" {
		t.Fatalf("Microsoft's email claim linked without proof: %+v", c)
	}
	if ext := h.userExternal(u.ID); len(ext) != 0 {
		t.Fatalf("linked: %+v", ext)
	}
	// With xms_edov (the domain owner verified the address) it is proof.
	up.fake.SetAccount(map[string]any{"sub": "ms-1", "tid": "9188040d", "email": "boss@contoso.example", "xms_edov": true, "name": "Big Boss"})
	b, res = providerSignIn(t, h, up, "oauth_microsoft")
	redirectsToApp(t, res, appCallback)
	if b.signedInUserID(t) != u.ID {
		t.Fatal("not signed in with a domain-verified Microsoft email")
	}
}
