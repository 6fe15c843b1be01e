package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// signInAgain ends the browser's sessions and signs in afresh.
func (r *rig) signInAgain() {
	r.t.Helper()
	req, _ := http.NewRequest("DELETE", r.env.PublicURL+"/v1/client/sessions", nil)
	res, err := r.browser.Do(req)
	if err != nil || res.StatusCode != 200 {
		r.t.Fatalf("sign out: %v %v", res, err)
	}
	res.Body.Close()
	res, err = r.browser.PostForm(r.env.PublicURL+"/v1/client/sign_ins", url.Values{"identifier": {r.email}, "strategy": {"password"}, "password": {"a-long-passphrase-42"}})
	if err != nil || res.StatusCode != 200 {
		r.t.Fatalf("sign in again: %v %v", res, err)
	}
	res.Body.Close()
}

func TestPromptsAndResponseModes(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	signedInAt := r.env.Clock.Now()

	t.Run("prompt=none without a session", func(t *testing.T) {
		q := r.authorizeParams(a, "openid")
		q.Set("prompt", "none")
		res, _ := r.authorize(r.anonymous(), q)
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), a.Redirect+"?") || loc.Query().Get("error") != "login_required" ||
			loc.Query().Get("state") != "st-123" || loc.Query().Get("iss") != r.env.PublicURL {
			t.Fatalf("got %d %s", res.StatusCode, loc)
		}
	})
	t.Run("prompt=none with a session", func(t *testing.T) {
		r.code(a, "openid", url.Values{"prompt": {"none"}})
	})
	t.Run("no session goes to sign in with login_hint", func(t *testing.T) {
		anon := r.anonymous()
		q := r.authorizeParams(a, "openid")
		q.Set("login_hint", "grace@example.com")
		res, _ := r.authorize(anon, q)
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/sign-in" || loc.Query().Get("identifier") != "grace@example.com" ||
			loc.Query().Get("reauth") != "" {
			t.Fatalf("got %d %s", res.StatusCode, loc)
		}
		back, _ := url.Parse(loc.Query().Get("redirect_url"))
		if back.Path != "/oauth/authorize" || back.Query().Get("client_id") != a.ClientID || back.Query().Get("state") != "st-123" {
			t.Fatalf("the way back: %s", back)
		}
		_, page := r.get(anon, loc.String())
		if !strings.Contains(page, `value="grace@example.com"`) {
			t.Fatalf("the sign-in page does not carry the login hint")
		}
	})
	t.Run("response_mode=form_post", func(t *testing.T) {
		q := r.authorizeParams(a, "openid")
		q.Set("response_mode", "form_post")
		res, body := r.authorize(r.browser, q)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("Location") != "" {
			t.Fatalf("form_post: %d %v", res.StatusCode, res.Header)
		}
		if !strings.Contains(body, `<form method="post" action="`+a.Redirect+`">`) {
			t.Fatalf("form_post form: %s", body)
		}
		f := hiddenInputs(body)
		if f.Get("code") == "" || f.Get("state") != "st-123" || f.Get("iss") != r.env.PublicURL || len(f) != 3 {
			t.Fatalf("form_post fields: %v", f)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action https://rp.example.com") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("form_post headers: %v", res.Header)
		}
		r.exchange(a, f.Get("code"), "")
		// Errors use the same mode.
		q.Set("scope", "openid admin")
		_, body = r.authorize(r.browser, q)
		if f := hiddenInputs(body); f.Get("error") != "invalid_scope" || f.Get("state") != "st-123" || f.Get("iss") != r.env.PublicURL {
			t.Fatalf("form_post error fields: %v", f)
		}
	})
	t.Run("max_age", func(t *testing.T) {
		r.env.Clock.Advance(30 * time.Second)
		code := r.code(a, "openid", url.Values{"max_age": {"3600"}})
		tok := r.exchange(a, code, "")
		if at := int64(jwtPart(t, str(tok, "id_token"), 1)["auth_time"].(float64)); at != signedInAt.Unix() {
			t.Fatalf("auth_time %d, want %d", at, signedInAt.Unix())
		}
		q := r.authorizeParams(a, "openid")
		q.Set("max_age", "10")
		res, _ := r.authorize(r.browser, q)
		if loc := location(t, res); loc.Path != "/sign-in" || loc.Query().Get("reauth") != "1" {
			t.Fatalf("max_age=10 after 30s: %d %s", res.StatusCode, loc)
		}
	})
	t.Run("prompt=login", func(t *testing.T) {
		r.env.Clock.Advance(10 * time.Second)
		q := r.authorizeParams(a, "openid")
		q.Set("prompt", "login consent")
		res, _ := r.authorize(r.browser, q)
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/sign-in" || loc.Query().Get("reauth") != "1" {
			t.Fatalf("prompt=login: %d %s", res.StatusCode, loc)
		}
		back, err := url.Parse(loc.Query().Get("redirect_url"))
		if err != nil || !strings.HasPrefix(back.String(), r.env.PublicURL+"/oauth/authorize?") || back.Query().Get("_lk_auth_after") == "" {
			t.Fatalf("the way back: %s", back)
		}
		if back.Query().Get("prompt") != "login consent" {
			t.Fatalf("the way back changed prompt to %q", back.Query().Get("prompt"))
		}
		// Coming back without having signed in again is not enough.
		res, _ = r.get(r.browser, back.String())
		if loc := location(t, res); loc.Path != "/sign-in" || loc.Query().Get("code") != "" {
			t.Fatalf("the old session answered prompt=login: %d %s", res.StatusCode, loc)
		}
		// A forged marker does not help either.
		forged := back.Query()
		forged.Set("_lk_auth_after", "1")
		forged.Set("prompt", "login")
		res, _ = r.authorize(r.browser, forged)
		if loc := location(t, res); loc.Path != "/sign-in" {
			t.Fatalf("a forged _lk_auth_after skipped prompt=login: %d %s", res.StatusCode, loc)
		}
		r.env.Clock.Advance(time.Second)
		r.signInAgain()
		res, _ = r.get(r.browser, back.String())
		loc = location(t, res)
		if !strings.HasPrefix(loc.String(), a.Redirect+"?") || loc.Query().Get("code") == "" {
			t.Fatalf("after signing in again: %d %s", res.StatusCode, loc)
		}
		tok := r.exchange(a, loc.Query().Get("code"), "")
		if at := int64(jwtPart(t, str(tok, "id_token"), 1)["auth_time"].(float64)); at != r.env.Clock.Now().Unix() {
			t.Fatalf("auth_time %d is not the new sign-in's %d", at, r.env.Clock.Now().Unix())
		}
	})
}
