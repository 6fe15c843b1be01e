package upstreamtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// Headless Chromium goes from the authorization URL straight back to the
// client (no form to fill in), twice in one browser as two different
// accounts: each authorization logs in the account LoginAs chose.
func TestHeadlessChromiumPassesThrough(t *testing.T) {
	const chromium = "/usr/bin/chromium" // installed by `make test-deps`
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing (run `make test-deps`): %v", chromium, err)
	}
	got := make(chan url.Values, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" { // not /favicon.ico
			got <- r.URL.Query()
		}
		_, _ = w.Write([]byte("<!doctype html><title>back</title>back"))
	}))
	t.Cleanup(app.Close)

	up := upstreamtest.Start(t)
	up.AddAccount("erin-sub", map[string]any{"email": "erin@example.com", "email_verified": true})
	up.AddAccount("finn-sub", map[string]any{"email": "finn@example.com", "email_verified": true})
	client := up.NewClient(app.URL + "/callback")
	cfg := up.OAuth2Config(client, "openid", "email")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)

	for _, sub := range []string{"erin-sub", "finn-sub"} {
		up.LoginAs(sub)
		verifier := oauth2.GenerateVerifier()
		if err := chromedp.Do(ctx, chromedp.Navigate(cfg.AuthCodeURL("state-"+sub, oauth2.S256ChallengeOption(verifier)))); err != nil {
			t.Fatalf("navigate: %v", err)
		}
		var q url.Values
		select {
		case q = <-got:
		case <-time.After(20 * time.Second):
			t.Fatal("the browser never came back to the client")
		}
		if q.Get("state") != "state-"+sub || q.Get("code") == "" {
			t.Fatalf("callback %v", q)
		}
		tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		info, err := http.NewRequest(http.MethodGet, up.Issuer+"/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		tok.SetAuthHeader(info)
		resp, err := http.DefaultClient.Do(info)
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Sub string `json:"sub"`
		}
		decodeJSON(t, resp, &claims)
		if claims.Sub != sub {
			t.Fatalf("logged in %q, want %q", claims.Sub, sub)
		}
	}
}
