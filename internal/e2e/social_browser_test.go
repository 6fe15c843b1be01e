package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// The hosted sign-in page's "Continue with Acme" button, through a real
// OpenID Provider (oidc-provider, its own process) and back into the
// example app, signed in as a new user linked to the provider account; a
// second visit signs the same user in again.
func TestContinueWithProviderOnHostedPage(t *testing.T) {
	t.Parallel()
	up := upstreamtest.Start(t)
	const clientID, secret = "latchkey-e2e", "e2e-client-secret"
	s := newStack(t, func(c *config.Config) {
		c.Social.Connections = []config.SocialConnection{{Provider: "custom_acme", Type: "oidc", Issuer: up.Issuer,
			ClientID: clientID, ClientSecret: secret, Name: "Acme", Scopes: []string{"offline_access"}}}
	})
	// Access tokens shorter than the wallet's refresh margin: every wallet
	// call refreshes.
	up.RegisterClient(upstreamtest.Client{ID: clientID, Secret: secret, RedirectURIs: []string{s.lk.PublicURL + "/v1/oauth_callback"},
		AccessTokenTTL: 5 * time.Second})
	const email = "robin@example.com"
	up.AddAccount("robin-sub", map[string]any{"email": email, "email_verified": true, "given_name": "Robin", "family_name": "Hood"})
	up.LoginAs("robin-sub")

	p := newPage(t)
	if st := p.appHome(s); st != "Signed out" {
		t.Fatalf("app status %q, want Signed out", st)
	}
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.checkA11y("sign-in with a provider button")
	p.press("Continue with Acme")
	id, shown := p.signedInUser(s)
	if shown != email {
		t.Fatalf("app shows %q, want %s", shown, email)
	}
	if got := p.protectedUser(s); got != id {
		t.Fatalf("/protected shows %q, want %s", got, id)
	}
	u, err := s.lk.Server.Users.GetUser(context.Background(), id)
	if err != nil || len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].ProviderUserID != "robin-sub" ||
		u.FirstName == nil || *u.FirstName != "Robin" {
		t.Fatalf("user after the provider sign-up: %+v, %v", u, err)
	}

	// Signed out, the same button signs the same user in again.
	p.appHome(s)
	p.signOutFromApp(s)
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.press("Continue with Acme")
	if again, _ := p.signedInUser(s); again != id {
		t.Fatalf("second sign-in as %s, want %s", again, id)
	}

	// The user revokes Latchkey's access at the provider: the token
	// wallet's next refresh is refused and marks the account.
	wallet := func() error {
		_, err := s.sdkUsers().ListOAuthAccessTokens(context.Background(),
			&user.ListOAuthAccessTokensParams{ID: id, Provider: "oauth_custom_acme"})
		return err
	}
	if err := wallet(); err != nil {
		t.Fatalf("wallet before the revocation: %v", err)
	}
	up.RevokeGrants("robin-sub")
	if err := wallet(); walletErrorCode(err) != "oauth_token_retrieval_error" {
		t.Fatalf("wallet after the revocation: %v", err)
	}

	// The account page lists the connection; the revoked one shows
	// Reconnect, which goes through the provider again and clears it.
	p.open(s.lk.PublicURL + "/user")
	p.waitPage(s.lk.PublicURL, "/user")
	p.checkA11y("account page with connected accounts")
	if txt := p.text("#connections + ul"); !strings.Contains(txt, "Acme · "+email) || !strings.Contains(txt, "Needs reconnecting") {
		t.Fatalf("connected accounts: %q", txt)
	}
	p.press("Reconnect")
	p.waitPage(s.lk.PublicURL, "/user")
	if u, _ := s.lk.Server.Users.GetUser(context.Background(), id); len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].NeedsReauthorization {
		t.Fatalf("after reconnecting: %+v", u.ExternalAccounts)
	}
	if strings.Contains(p.text("#connections + ul"), "Needs reconnecting") {
		t.Fatal("the account page still says Needs reconnecting")
	}
	if err := wallet(); err != nil {
		t.Fatalf("wallet after reconnecting: %v", err)
	}
	// The verified email still signs in, so disconnecting is allowed.
	p.press("Disconnect")
	p.waitPage(s.lk.PublicURL, "/user")
	if u, _ := s.lk.Server.Users.GetUser(context.Background(), id); len(u.ExternalAccounts) != 0 {
		t.Fatalf("still connected: %+v", u.ExternalAccounts)
	}
	if !strings.Contains(p.text("main"), "Connect Acme") {
		t.Fatal("no Connect button after disconnecting")
	}
	// Connect goes through the provider and back to the account page.
	p.press("Connect Acme")
	p.waitPage(s.lk.PublicURL, "/user")
	if u, _ := s.lk.Server.Users.GetUser(context.Background(), id); len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].ProviderUserID != "robin-sub" {
		t.Fatalf("after connecting again: %+v", u.ExternalAccounts)
	}
	if txt := p.text("#connections + ul"); !strings.Contains(txt, "Acme · "+email) {
		t.Fatalf("connected accounts after connecting: %q", txt)
	}

	// Declining at the provider brings the person back to the sign-in page
	// with the reason, signed in as nobody.
	p.appHome(s)
	p.signOutFromApp(s)
	up.DenyLogins()
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.press("Continue with Acme")
	p.waitPage(s.lk.PublicURL, "/sign-in/sso-callback")
	if txt := p.text("main"); !strings.Contains(txt, "The provider did not sign you in") || !strings.Contains(txt, "Continue with Acme") {
		t.Fatalf("sign-in page after declining at the provider: %q", txt)
	}
}
