package fapi_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/social/socialtest"
	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// appCallback is where the example app receives the browser after a provider.
const appCallback = appOrigin + "/sso-callback"

// upstream is the provider a test signs in through: the real one
// (oidc-provider in its own process, internal/social/upstreamtest) or, for
// what a real provider cannot be made to do (forged nonces, another
// provider's iss, GitHub's API), an in-process fake.
type upstream struct {
	h    *harness
	real *upstreamtest.Provider
	fake *socialtest.Fake
}

// startUpstream runs Latchkey with the custom OIDC provider "acme" served by
// a real, independent OpenID Provider.
func startUpstream(t *testing.T, opts upstreamtest.Options, mutate ...func(*config.Config)) (*harness, *upstream) {
	t.Helper()
	return startUpstreamClient(t, opts, upstreamtest.Client{}, mutate...)
}

// startUpstreamClient is startUpstream with Latchkey's client at the
// provider registered with the given settings (token lifetimes, rotation).
func startUpstreamClient(t *testing.T, opts upstreamtest.Options, client upstreamtest.Client, mutate ...func(*config.Config)) (*harness, *upstream) {
	t.Helper()
	p := upstreamtest.Start(t, opts)
	id, secret := "latchkey-"+randomID(t), randomID(t)
	h := start(t, append([]func(*config.Config){func(cfg *config.Config) {
		cfg.Social.Connections = []config.SocialConnection{{Provider: "custom_acme", Type: "oidc", Issuer: p.Issuer,
			ClientID: id, ClientSecret: secret, Name: "Acme"}}
	}}, mutate...)...)
	client.ID, client.Secret = id, secret
	client.RedirectURIs = []string{h.env.Server.Config.PublicURL + "/v1/oauth_callback"}
	p.RegisterClient(client)
	return h, &upstream{h: h, real: p}
}

// startSocial runs Latchkey with one provider served by the fake: the
// custom OIDC provider "acme" unless conn says otherwise.
func startSocial(t *testing.T, conn func(f *socialtest.Fake) config.SocialConnection, mutate ...func(*config.Config)) (*harness, *upstream) {
	t.Helper()
	f := socialtest.Start(t)
	if conn == nil {
		conn = acmeOIDC
	}
	c := conn(f)
	h := start(t, append([]func(*config.Config){func(cfg *config.Config) {
		cfg.Social.Connections = []config.SocialConnection{c}
	}}, mutate...)...)
	return h, &upstream{h: h, fake: f}
}

func acmeOIDC(f *socialtest.Fake) config.SocialConnection {
	return config.SocialConnection{Provider: "custom_acme", Type: "oidc", Issuer: f.URL, ClientID: f.ClientID,
		ClientSecret: f.ClientSecret, Name: "Acme"}
}

func randomID(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// account makes the next login at the provider sign in as sub with claims
// (email_verified: true, "true", false, or nil for absent).
func (u *upstream) account(sub, email string, verified any) {
	claims := map[string]any{"email": email, "given_name": "Ada", "family_name": "Lovelace"}
	if email == "" {
		delete(claims, "email")
	}
	if verified != nil {
		claims["email_verified"] = verified
	}
	if u.real != nil {
		u.real.AddAccount(sub, claims)
		u.real.LoginAs(sub)
		return
	}
	claims["sub"] = sub
	u.fake.SetAccount(claims)
}

// externalVerification is what a flow's start returns: the provider URL.
type externalVerification struct {
	Status                          string `json:"status"`
	Strategy                        string `json:"strategy"`
	ExternalVerificationRedirectURL string `json:"external_verification_redirect_url"`
}

// startURL reads the provider URL from a sign-in, sign-up or connect answer.
func startURL(t *testing.T, r *resp) string {
	t.Helper()
	var v struct {
		FirstFactorVerification *externalVerification `json:"first_factor_verification"`
		Verifications           struct {
			ExternalAccount *externalVerification `json:"external_account"`
		} `json:"verifications"`
		Verification *externalVerification `json:"verification"`
	}
	if err := json.Unmarshal(r.Response, &v); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []*externalVerification{v.FirstFactorVerification, v.Verifications.ExternalAccount, v.Verification} {
		if ev != nil && ev.ExternalVerificationRedirectURL != "" {
			return ev.ExternalVerificationRedirectURL
		}
	}
	t.Fatalf("no external_verification_redirect_url in %s", r.Body)
	return ""
}

// back visits the provider's authorization URL (the login completes at
// once) and returns the callback URL it sends the browser to, pointed at
// the test server.
func (u *upstream) back(t *testing.T, authURL string) string {
	t.Helper()
	var loc *url.URL
	if u.real != nil {
		loc = u.real.Authorize(authURL)
	} else {
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc, err = res.Location(); err != nil {
			t.Fatalf("provider answered %d without a redirect", res.StatusCode)
		}
	}
	if !strings.HasSuffix(loc.Path, "/v1/oauth_callback") {
		t.Fatalf("provider redirected to %q", loc)
	}
	return u.h.env.PublicURL + loc.Path + "?" + loc.RawQuery
}

// callback returns to Latchkey from the provider.
func (b *browser) callback(t *testing.T, callbackURL string) *resp {
	t.Helper()
	return b.doURL(http.MethodGet, callbackURL, nil)
}

// signIn runs a whole "Continue with <provider>" sign-in and returns the
// callback's answer (a redirect to the app on success).
func (u *upstream) signIn(t *testing.T, b *browser, extra ...string) *resp {
	t.Helper()
	r := b.post("/client/sign_ins", form(append([]string{"strategy", "oauth_custom_acme", "redirect_url", appCallback}, extra...)...)).ok(t)
	return b.callback(t, u.back(t, startURL(t, r)))
}

// redirectsToApp asserts a callback sent the browser back to the app.
func redirectsToApp(t *testing.T, r *resp, want string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("callback: %d to %q, want 303 to %q: %s", r.Status, r.Header.Get("Location"), want, r.Body)
	}
}

// backToAppWith asserts a callback sent the browser back to the app with
// the failed round trip's reason on the client's sign-in (or, for a sign-up,
// its external_account verification) as Clerk shows it, and signed nobody in.
func backToAppWith(t *testing.T, b *browser, r *resp, code string) {
	t.Helper()
	redirectsToApp(t, r, appCallback)
	c := b.client(t)
	var v *verificationObj
	switch {
	case c.SignUp != nil && c.SignUp.Verifications.ExternalAccount != nil && c.SignUp.Verifications.ExternalAccount.Status == "failed":
		v = c.SignUp.Verifications.ExternalAccount
	case c.SignIn != nil:
		v = c.SignIn.FirstFactorVerification
	}
	if v == nil || v.Status != "failed" || v.Error == nil || v.Error.Code != code {
		t.Fatalf("after the callback: sign_in %+v sign_up %+v; want a failed verification with %s", c.SignIn, c.SignUp, code)
	}
	if len(c.Sessions) != 0 {
		t.Fatalf("signed in after a refused callback: %+v", c.Sessions)
	}
}

// externalAccountJSON is the external_account object as both APIs show it.
type externalAccountJSON struct {
	Object               string  `json:"object"`
	ID                   string  `json:"id"`
	Provider             string  `json:"provider"`
	ProviderUserID       string  `json:"provider_user_id"`
	ApprovedScopes       string  `json:"approved_scopes"`
	EmailAddress         string  `json:"email_address"`
	EmailAddressVerified bool    `json:"email_address_verified"`
	FirstName            string  `json:"first_name"`
	LastName             string  `json:"last_name"`
	Username             *string `json:"username"`
	ImageURL             string  `json:"image_url"`
	NeedsReauthorization *bool   `json:"needs_reauthorization"`
	Verification         struct {
		Status   string `json:"status"`
		Strategy string `json:"strategy"`
	} `json:"verification"`
}

// userExternal reads a user's external accounts through the Backend API.
func (h *harness) userExternal(userID string) []externalAccountJSON {
	h.t.Helper()
	var u struct {
		ID               string                `json:"id"`
		ExternalAccounts []externalAccountJSON `json:"external_accounts"`
	}
	if st := h.admin(http.MethodGet, "/users/"+userID, nil, &u); st != http.StatusOK {
		h.t.Fatalf("get user %s: %d", userID, st)
	}
	return u.ExternalAccounts
}

// signedInUserID is the user of the browser's active session.
func (b *browser) signedInUserID(t *testing.T) string {
	t.Helper()
	c := b.client(t)
	if c == nil || len(c.Sessions) != 1 || c.Sessions[0].User == nil {
		t.Fatalf("want one active session, have %+v", c)
	}
	return c.Sessions[0].User.ID
}

func startFakeOnly(t *testing.T) *socialtest.Fake { return socialtest.Start(t) }
