package oauth_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestConsentScreen(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(map[string]any{"name": "Consent <b>Demo</b>", "consent_screen_enabled": true})
	params := r.authorizeParams(a, "openid email")

	// consentPage follows authorize to the consent page and returns its form.
	consentPage := func(q url.Values) url.Values {
		t.Helper()
		res, body := r.authorize(r.browser, q)
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/oauth/consent" || !strings.HasPrefix(loc.String(), r.env.PublicURL) {
			t.Fatalf("authorize did not send to consent: %d %s %s", res.StatusCode, loc, body)
		}
		res, body = r.get(r.browser, loc.String())
		if res.StatusCode != 200 {
			t.Fatalf("consent page: %d %s", res.StatusCode, body)
		}
		if !strings.Contains(body, "Consent &lt;b&gt;Demo&lt;/b&gt;") || strings.Contains(body, "<b>Demo") {
			t.Fatalf("the page does not name the app (escaped): %s", body)
		}
		if !strings.Contains(body, "Your email address") || !strings.Contains(body, "Sign you in") || strings.Contains(body, "Your name") {
			t.Fatalf("the page does not list exactly the scopes asked for: %s", body)
		}
		if !strings.Contains(body, r.email) {
			t.Fatalf("the page does not say who is signed in")
		}
		form := hiddenInputs(body)
		if form.Get("csrf_token") == "" || form.Get("client_id") != a.ClientID {
			t.Fatalf("consent form fields: %v", form)
		}
		return form
	}
	submit := func(c *http.Client, form url.Values, decision string) (*http.Response, string) {
		t.Helper()
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("decision", decision)
		res, err := c.PostForm(r.env.PublicURL+"/oauth/consent", f)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	t.Run("prompt=none before consent", func(t *testing.T) {
		q := r.authorizeParams(a, "openid email")
		q.Set("prompt", "none")
		res, _ := r.authorize(r.browser, q)
		if loc := location(t, res); loc.Query().Get("error") != "consent_required" || loc.Query().Get("state") != "st-123" {
			t.Fatalf("got %d %s", res.StatusCode, loc)
		}
	})
	t.Run("deny", func(t *testing.T) {
		res, _ := submit(r.browser, consentPage(params), "deny")
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), a.Redirect+"?") ||
			loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-123" || loc.Query().Get("iss") != r.env.PublicURL {
			t.Fatalf("deny: %d %s", res.StatusCode, loc)
		}
		// Denying remembers nothing.
		consentPage(params)
	})
	t.Run("forged posts", func(t *testing.T) {
		form := consentPage(params)
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Del("csrf_token")
		if res, _ := submit(r.browser, bad, "allow"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("no CSRF token: %d", res.StatusCode)
		}
		// Another browser's token and cookie do not go together.
		other := r.anonymous()
		if res, _ := submit(other, form, "allow"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("a token of another browser: %d", res.StatusCode)
		}
		// The request is validated again: a swapped redirect URI is refused.
		bad = url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("redirect_uri", "https://evil.example/cb")
		if res, _ := submit(r.browser, bad, "allow"); res.StatusCode != 400 || res.Header.Get("Location") != "" {
			t.Fatalf("a swapped redirect URI: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		// Scopes the app may not have are refused too.
		bad.Set("redirect_uri", a.Redirect)
		bad.Set("scope", "openid admin")
		res, _ := submit(r.browser, bad, "allow")
		if loc := location(t, res); loc.Query().Get("error") != "invalid_scope" {
			t.Fatalf("an added scope: %d %s", res.StatusCode, loc)
		}
	})
	t.Run("allow", func(t *testing.T) {
		v, c := pkce()
		q := r.authorizeParams(a, "openid email")
		q.Set("code_challenge", c)
		q.Set("code_challenge_method", "S256")
		res, _ := submit(r.browser, consentPage(q), "allow")
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st-123" ||
			loc.Query().Get("iss") != r.env.PublicURL {
			t.Fatalf("allow: %d %s", res.StatusCode, loc)
		}
		tok := r.exchange(a, loc.Query().Get("code"), v)
		if str(tok, "scope") != "email openid" {
			t.Fatalf("scope %q", str(tok, "scope"))
		}
	})
	t.Run("remembered", func(t *testing.T) {
		r.code(a, "openid email", nil)
		r.code(a, "openid", nil) // a subset needs no new consent
	})
	t.Run("prompt=consent asks again", func(t *testing.T) {
		q := r.authorizeParams(a, "openid email")
		q.Set("prompt", "consent")
		consentPage(q)
	})
	t.Run("more scopes ask again", func(t *testing.T) {
		q := r.authorizeParams(a, "openid email profile")
		form := consentPage2(t, r, q)
		if !strings.Contains(form, "Your name") {
			t.Fatalf("the new scope is not listed")
		}
	})
	t.Run("the consent form cannot skip max_age", func(t *testing.T) {
		q := r.authorizeParams(a, "openid email")
		q.Set("prompt", "consent")
		form := consentPage(q)
		r.env.Clock.Advance(5 * time.Second)
		form.Set("max_age", "1") // added to the form: not something authorize saw
		res, _ := submit(r.browser, form, "allow")
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || loc.Query().Get("code") != "" || loc.Path != "/oauth/authorize" {
			t.Fatalf("consent with a stale session: %d %s", res.StatusCode, loc)
		}
		res, _ = r.get(r.browser, loc.String())
		if loc := location(t, res); loc.Path != "/sign-in" || loc.Query().Get("reauth") != "1" {
			t.Fatalf("authorize after consent: %d %s", res.StatusCode, loc)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		res, _ := r.get(r.anonymous(), r.env.PublicURL+"/oauth/consent?"+params.Encode())
		if loc := location(t, res); res.StatusCode != http.StatusSeeOther || loc.Path != "/sign-in" {
			t.Fatalf("consent page without a session: %d %s", res.StatusCode, loc)
		}
	})
}
