package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/testserver"
)

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Plain HTTP: the pages' security headers, the CSRF guard on forms, and
// what /latchkey.js serves.
func TestPageHeadersAndCSRF(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	pw := password
	if _, err := env.Server.Users.CreateUser(context.Background(), identity.CreateUserInput{
		EmailAddresses: []string{"hal@example.com"}, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	browser := &http.Client{Jar: jar, CheckRedirect: noFollow}

	res, body := get(t, browser, env.PublicURL+"/sign-in")
	if res.StatusCode != 200 {
		t.Fatalf("GET /sign-in: %d", res.StatusCode)
	}
	checkSecurityHeaders(t, "GET /sign-in", res)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no csrf_token in the sign-in form")
	}
	token := m[1]

	post := func(c *http.Client, form url.Values, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, env.PublicURL+"/sign-in", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	refused := []struct {
		name   string
		client *http.Client
		form   url.Values
		origin string
	}{
		{"no token", browser, url.Values{"identifier": {"hal@example.com"}}, ""},
		{"wrong token", browser, url.Values{"identifier": {"hal@example.com"}, "csrf_token": {token + "x"}}, ""},
		{"another browser's token (no cookie)", &http.Client{CheckRedirect: noFollow}, url.Values{"identifier": {"hal@example.com"}, "csrf_token": {token}}, ""},
		{"foreign Origin", browser, url.Values{"identifier": {"hal@example.com"}, "csrf_token": {token}}, "https://evil.example"},
	}
	for _, c := range refused {
		res := post(c.client, c.form, c.origin)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("POST /sign-in with %s: %d, want 403", c.name, res.StatusCode)
		}
		checkSecurityHeaders(t, "the 403 page", res)
	}
	// The same form with its token goes through: the 403s were the token's.
	ok := post(browser, url.Values{"identifier": {"hal@example.com"}, "csrf_token": {token}}, "")
	if ok.StatusCode != http.StatusSeeOther || ok.Header.Get("Location") != "/sign-in/factor" {
		t.Fatalf("POST /sign-in with the token: %d → %q, want 303 → /sign-in/factor", ok.StatusCode, ok.Header.Get("Location"))
	}
	// A valid form cannot carry a foreign redirect either.
	evil := post(browser, url.Values{"identifier": {"hal@example.com"}, "csrf_token": {token}, "redirect_url": {"https://evil.example/"}}, "")
	if evil.StatusCode != http.StatusBadRequest || evil.Header.Get("Location") != "" {
		t.Errorf("POST /sign-in with a foreign redirect_url: %d → %q, want 400 and no redirect", evil.StatusCode, evil.Header.Get("Location"))
	}

	res, js := get(t, http.DefaultClient, env.PublicURL+"/latchkey.js")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("/latchkey.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if strings.Contains(js, "__LATCHKEY_PUBLIC_URL__") || !strings.Contains(js, `"`+env.Server.Config.PublicURL+`"`) {
		t.Error("/latchkey.js does not carry the public URL")
	}
	t.Logf("/latchkey.js: %d bytes", len(js))
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func checkSecurityHeaders(t *testing.T, what string, res *http.Response) {
	t.Helper()
	h := res.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if v := h.Get("X-Frame-Options"); v != "DENY" {
		t.Errorf("%s: X-Frame-Options %q, want DENY", what, v)
	}
	if v := h.Get("Cache-Control"); !strings.Contains(v, "no-store") {
		t.Errorf("%s: Cache-Control %q, want no-store", what, v)
	}
	if v := h.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want nosniff", what, v)
	}
}
