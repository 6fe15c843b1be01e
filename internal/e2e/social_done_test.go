package e2e_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/social/upstreamtest"
	"github.com/latchkey/latchkey/internal/social/wallet"
)

// What issue 5 calls done: a new user configures a custom OIDC provider
// exactly as the README's step-by-step says (its YAML block, the secret
// from the environment), clicks "Continue with Acme" on the hosted sign-in
// page, is signed in and back in the app; once the upstream access token
// has expired, a backend gets a fresh one from the token wallet with
// clerk-sdk-go's user.ListOAuthAccessTokens.
func TestDoneMeansCustomOIDCProvider(t *testing.T) {
	t.Parallel()
	up := upstreamtest.Start(t)
	const secret = "acme-client-secret"
	social := readmeSocialConfig(t, up.Issuer, map[string]string{"LATCHKEY_SOCIAL_CUSTOM_ACME_CLIENT_SECRET": secret})
	s := newStack(t, func(c *config.Config) { c.Social = social })
	const ttl = 2 * time.Second
	up.RegisterClient(upstreamtest.Client{ID: social.Connections[0].ClientID, Secret: secret,
		RedirectURIs: []string{s.lk.PublicURL + "/v1/oauth_callback"}, AccessTokenTTL: ttl})
	const email = "newcomer@example.com"
	up.AddAccount("newcomer", map[string]any{"email": email, "email_verified": true, "name": "New Comer"})
	up.LoginAs("newcomer")

	p := newPage(t)
	if st := p.appHome(s); st != "Signed out" {
		t.Fatalf("app status %q, want Signed out", st)
	}
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.press("Continue with Acme")
	id, shown := p.signedInUser(s)
	if shown != email || p.protectedUser(s) != id {
		t.Fatalf("back in the app as %s (%s)", id, shown)
	}

	// The token the sign-in stored, taken by the upstream until it expires.
	signInToken := s.storedAccessToken(id)
	if !acceptedUpstream(t, up, signInToken) {
		t.Fatal("the stored access token is not accepted by the provider")
	}
	time.Sleep(ttl + 500*time.Millisecond)
	s.lk.Clock.Advance(ttl + 500*time.Millisecond)
	if acceptedUpstream(t, up, signInToken) {
		t.Fatal("the provider still accepts the expired token")
	}

	list, err := s.sdkUsers().ListOAuthAccessTokens(context.Background(),
		&user.ListOAuthAccessTokensParams{ID: id, Provider: "oauth_custom_acme"})
	if err != nil {
		t.Fatalf("ListOAuthAccessTokens: %v", err)
	}
	if len(list.OAuthAccessTokens) != 1 {
		t.Fatalf("wallet: %+v", list)
	}
	got := list.OAuthAccessTokens[0]
	if got.Token == signInToken || !acceptedUpstream(t, up, got.Token) || got.Provider != "oauth_custom_acme" {
		t.Fatalf("wallet token %+v is not a fresh one", got)
	}
	if st := up.Stats(); st.Refreshes != 1 {
		t.Fatalf("upstream refreshes: %+v", st)
	}
}

// readmeSocialConfig loads the social connection of the README's "Your own
// OpenID Connect provider, step by step" through the config loader, with
// the example issuer replaced by the test provider's and env as the
// environment.
func readmeSocialConfig(t *testing.T, issuer string, env map[string]string) config.Social {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "### Your own OpenID Connect provider, step by step")
	if !ok {
		t.Fatal("README: no step-by-step section for a custom OIDC provider")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README: no yaml block in the step-by-step section")
	}
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "   ")) // the block is indented under a list item
	}
	yaml := strings.Join(lines, "\n")
	const example = "https://login.acme.example"
	if !strings.Contains(yaml, example) {
		t.Fatalf("README yaml names no issuer %s:\n%s", example, yaml)
	}
	path := filepath.Join(t.TempDir(), "latchkey.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(yaml, example, issuer)), 0o600); err != nil {
		t.Fatal(err)
	}
	env["LATCHKEY_ENV"], env["DATABASE_URL"] = "development", "postgres://unused"
	cfg, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the README's config does not load: %v", err)
	}
	if len(cfg.Social.Connections) != 1 || cfg.Social.Connections[0].Strategy() != "oauth_custom_acme" {
		t.Fatalf("README config: %+v", cfg.Social)
	}
	return cfg.Social
}

// storedAccessToken opens the access token of the user's only external
// account, sealed as the token wallet reads it.
func (s *stack) storedAccessToken(userID string) string {
	s.t.Helper()
	key, err := base64.StdEncoding.DecodeString(s.lk.Config.Keys.EncryptionKey)
	if err != nil {
		s.t.Fatal(err)
	}
	box, err := keys.NewBox(key)
	if err != nil {
		s.t.Fatal(err)
	}
	var id string
	var enc []byte
	if err := s.lk.DB.Pool.QueryRow(context.Background(), `SELECT id, access_token_enc FROM external_accounts
		WHERE user_id = $1`, userID).Scan(&id, &enc); err != nil {
		s.t.Fatal(err)
	}
	pt, err := box.Open(enc, wallet.AAD(id, wallet.ColumnAccessToken))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(pt)
}

// sdkUsers is clerk-sdk-go's users client on the Backend API.
func (s *stack) sdkUsers() *user.Client {
	cfg := &clerk.ClientConfig{}
	cfg.Key = clerk.String(s.lk.SecretKey)
	cfg.URL = clerk.String(s.lk.AdminURL + "/v1")
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	return user.NewClient(cfg)
}

// walletErrorCode is the Clerk error code of a failed wallet call.
func walletErrorCode(err error) string {
	var apiErr *clerk.APIErrorResponse
	if errors.As(err, &apiErr) && len(apiErr.Errors) > 0 {
		return apiErr.Errors[0].Code
	}
	return ""
}

// acceptedUpstream reports whether the provider's userinfo takes the token.
func acceptedUpstream(t *testing.T, up *upstreamtest.Provider, accessToken string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, up.Issuer+"/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
