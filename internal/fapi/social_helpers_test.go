package fapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/social/socialtest"
)

// appCallback is where the example app receives the browser after a provider.
const appCallback = appOrigin + "/sso-callback"

// startSocial runs Latchkey with one upstream provider: a custom OIDC
// provider "acme" served by a fake, unless conn says otherwise.
func startSocial(t *testing.T, conn func(f *socialtest.Fake) config.SocialConnection, mutate ...func(*config.Config)) (*harness, *socialtest.Fake) {
	t.Helper()
	f := socialtest.Start(t)
	if conn == nil {
		conn = acmeOIDC
	}
	c := conn(f)
	h := start(t, append([]func(*config.Config){func(cfg *config.Config) {
		cfg.Social.Connections = []config.SocialConnection{c}
	}}, mutate...)...)
	return h, f
}

func acmeOIDC(f *socialtest.Fake) config.SocialConnection {
	return config.SocialConnection{Provider: "custom_acme", Type: "oidc", Issuer: f.URL, ClientID: f.ClientID,
		ClientSecret: f.ClientSecret, Name: "Acme"}
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

// atProvider visits the provider's authorization URL (which logs in at
// once) and returns the callback URL it sends the browser to, pointed at
// the test server.
func (b *browser) atProvider(t *testing.T, authURL string) string {
	t.Helper()
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("provider answered %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasSuffix(loc.Path, "/v1/oauth_callback") {
		t.Fatalf("provider redirected to %q", res.Header.Get("Location"))
	}
	return b.h.env.PublicURL + loc.Path + "?" + loc.RawQuery
}

// callback returns to Latchkey from the provider.
func (b *browser) callback(t *testing.T, callbackURL string) *resp {
	t.Helper()
	return b.doURL(http.MethodGet, callbackURL, nil)
}

// oauthSignIn runs a whole "Continue with <provider>" sign-in and returns
// the callback's answer (a redirect to the app on success).
func (b *browser) oauthSignIn(t *testing.T, strategy string, extra ...string) *resp {
	t.Helper()
	r := b.post("/client/sign_ins", form(append([]string{"strategy", strategy, "redirect_url", appCallback}, extra...)...)).ok(t)
	return b.callback(t, b.atProvider(t, startURL(t, r)))
}

// redirectsToApp asserts a callback sent the browser back to the app.
func redirectsToApp(t *testing.T, r *resp, want string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("callback: %d to %q, want 303 to %q: %s", r.Status, r.Header.Get("Location"), want, r.Body)
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

func acmeAccount(sub, email string, verified any) map[string]any {
	m := map[string]any{"sub": sub, "email": email, "given_name": "Ada", "family_name": "Lovelace"}
	if verified != nil {
		m["email_verified"] = verified
	}
	return m
}
