package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
)

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// hiddenInputs reads a page's hidden form fields.
func hiddenInputs(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDiscoveryDocuments(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	iss := r.env.PublicURL
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		res, body := r.get(http.DefaultClient, iss+path)
		doc := map[string]any{}
		if err := json.Unmarshal([]byte(body), &doc); err != nil || res.StatusCode != 200 ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		if doc["issuer"] != iss {
			t.Fatalf("%s: issuer %v, want exactly %s", path, doc["issuer"], iss)
		}
		for k, p := range map[string]string{"authorization_endpoint": "/oauth/authorize", "token_endpoint": "/oauth/token",
			"userinfo_endpoint": "/oauth/userinfo", "jwks_uri": "/.well-known/jwks.json", "introspection_endpoint": "/oauth/token_info",
			"revocation_endpoint": "/oauth/token/revoke", "end_session_endpoint": "/oauth/end_session"} {
			if doc[k] != iss+p {
				t.Fatalf("%s: %s = %v", path, k, doc[k])
			}
		}
		if doc["registration_endpoint"] != nil {
			t.Fatalf("%s advertises registration while it is off", path)
		}
		if doc["request_uri_parameter_supported"] != false || doc["request_parameter_supported"] != false {
			t.Fatalf("%s: request objects advertised", path)
		}
		if doc["authorization_response_iss_parameter_supported"] != true {
			t.Fatalf("%s: no RFC 9207 flag", path)
		}
		list := func(k string) []string {
			var out []string
			for _, v := range doc[k].([]any) {
				out = append(out, v.(string))
			}
			return out
		}
		if got := list("code_challenge_methods_supported"); !slices.Equal(got, []string{"S256"}) {
			t.Fatalf("PKCE methods %v", got)
		}
		if got := list("response_types_supported"); !slices.Equal(got, []string{"code"}) {
			t.Fatalf("response types %v", got)
		}
		if got := list("id_token_signing_alg_values_supported"); !slices.Equal(got, []string{"RS256"}) {
			t.Fatalf("algs %v", got)
		}
	}
	res, body := r.get(http.DefaultClient, iss+"/.well-known/jwks.json")
	if res.StatusCode != 200 || !strings.Contains(body, r.env.Server.Keyring.Signer().KID) {
		t.Fatalf("jwks: %d %s", res.StatusCode, body)
	}
}

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

// consentPage2 returns the consent page's HTML for q.
func consentPage2(t *testing.T, r *rig, q url.Values) string {
	t.Helper()
	res, _ := r.authorize(r.browser, q)
	loc := location(t, res)
	if loc.Path != "/oauth/consent" {
		t.Fatalf("not sent to consent: %d %s", res.StatusCode, loc)
	}
	_, body := r.get(r.browser, loc.String())
	return body
}

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

func TestUserInfoClaimsPerScope(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	if s := admin(t, r.env, "PATCH", "/users/"+r.userID+"/metadata", map[string]any{
		"public_metadata": map[string]any{"plan": "pro"}, "private_metadata": map[string]any{"ssn": "secret"}}, nil); s != 200 {
		t.Fatalf("metadata: %d", s)
	}
	profile := []string{"family_name", "given_name", "name", "picture", "preferred_username", "user_id", "username"}
	email := []string{"email", "email_verified"}
	cases := []struct {
		scope string
		want  [][]string
	}{
		{"openid", nil},
		{"openid profile", [][]string{profile}},
		{"openid email", [][]string{email}},
		{"openid public_metadata", [][]string{{"public_metadata"}}},
		{"openid private_metadata", [][]string{{"private_metadata"}}},
		{"openid profile email public_metadata private_metadata", [][]string{profile, email, {"public_metadata"}, {"private_metadata"}}},
		{"email", [][]string{email}}, // OAuth without OIDC still has userinfo
	}
	for _, c := range cases {
		t.Run(c.scope, func(t *testing.T) {
			tok := r.tokens(a, c.scope)
			want := []string{"object", "sub"}
			for _, w := range c.want {
				want = append(want, w...)
			}
			sort.Strings(want)
			s, info, _ := r.userinfo(str(tok, "access_token"))
			if s != 200 || !slices.Equal(keysOf(info), want) {
				t.Fatalf("userinfo %d: keys %v, want %v", s, keysOf(info), want)
			}
			if info["sub"] != r.userID || info["object"] != "oauth_user_info" {
				t.Fatalf("userinfo %v", info)
			}
			if slices.Contains(want, "name") && (info["given_name"] != "Ada" || info["family_name"] != "Lovelace" ||
				info["name"] != "Ada Lovelace" || info["user_id"] != r.userID) {
				t.Fatalf("profile claims %v", info)
			}
			if slices.Contains(want, "email") && (info["email"] != r.email || info["email_verified"] != true) {
				t.Fatalf("email claims %v", info)
			}
			if slices.Contains(want, "public_metadata") && info["public_metadata"].(map[string]any)["plan"] != "pro" {
				t.Fatalf("public metadata %v", info["public_metadata"])
			}
			if slices.Contains(want, "private_metadata") && info["private_metadata"].(map[string]any)["ssn"] != "secret" {
				t.Fatalf("private metadata %v", info["private_metadata"])
			}
			if idt := str(tok, "id_token"); idt != "" {
				// The ID token carries the same user claims.
				claims := jwtPart(t, idt, 1)
				for _, k := range want {
					if _, ok := claims[k]; !ok && k != "object" {
						t.Fatalf("id token lacks %s: %v", k, claims)
					}
				}
				for _, k := range []string{"email", "name", "public_metadata", "private_metadata"} {
					if _, ok := claims[k]; ok && !slices.Contains(want, k) {
						t.Fatalf("id token has %s without its scope", k)
					}
				}
			} else if strings.Contains(c.scope, "openid") {
				t.Fatal("no id token with openid")
			}
			// POST with the token in the form body (RFC 6750 §2.2).
			s, posted, _ := r.post("/oauth/userinfo", "", "", url.Values{"access_token": {str(tok, "access_token")}})
			if s != 200 || !slices.Equal(keysOf(posted), want) {
				t.Fatalf("POST userinfo: %d %v", s, posted)
			}
		})
	}
	t.Run("token in the query is not accepted", func(t *testing.T) {
		tok := r.tokens(a, "openid")
		res, _ := r.get(http.DefaultClient, r.env.PublicURL+"/oauth/userinfo?access_token="+url.QueryEscape(str(tok, "access_token")))
		if res.StatusCode != 401 {
			t.Fatalf("query token: %d", res.StatusCode)
		}
	})
}

func TestIntrospectionAndRevocation(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	b := r.app(map[string]any{"name": "Other"})
	inactive := func(t *testing.T, got map[string]any) {
		t.Helper()
		if len(got) != 1 || got["active"] != false {
			t.Fatalf("want exactly {\"active\": false}, got %v", got)
		}
	}

	tok := r.tokens(a, "openid profile offline_access")
	now := r.env.Clock.Now().Unix()
	for _, name := range []string{"access_token", "refresh_token"} {
		got := r.introspect(a, str(tok, name))
		if got["active"] != true || got["client_id"] != a.ClientID || got["sub"] != r.userID ||
			got["scope"] != "offline_access openid profile" || got["iat"] != float64(now) || got["exp"] == nil ||
			int64(got["exp"].(float64)) <= now {
			t.Fatalf("%s: %v", name, got)
		}
		inactive(t, r.introspect(b, str(tok, name))) // foreign
	}
	inactive(t, r.introspect(a, "unknown"))
	s, out, _ := r.post("/oauth/token_info", a.ClientID, a.Secret, url.Values{})
	if s != 400 || str(out, "error") != "invalid_request" {
		t.Fatalf("no token: %d %v", s, out)
	}

	// A spent refresh token is inactive; its successor is active.
	s, next := r.refresh(a, str(tok, "refresh_token"), nil)
	if s != 200 {
		t.Fatalf("refresh: %d %v", s, next)
	}
	inactive(t, r.introspect(a, str(tok, "refresh_token")))
	if got := r.introspect(a, str(next, "refresh_token")); got["active"] != true {
		t.Fatalf("successor: %v", got)
	}

	// Revocation: unknown tokens are fine; a refresh token ends its grant.
	for _, unknown := range []string{"unknown", "a.b.c"} {
		if s := r.revoke(a, unknown); s != 200 {
			t.Fatalf("revoking %q: %d", unknown, s)
		}
	}
	if s := r.revoke(a, str(next, "refresh_token")); s != 200 {
		t.Fatalf("revoke: %d", s)
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		inactive(t, r.introspect(a, str(next, k)))
	}
	inactive(t, r.introspect(a, str(tok, "access_token")))
	if s, _, _ := r.userinfo(str(next, "access_token")); s != 401 {
		t.Fatalf("userinfo after revoking the refresh token: %d", s)
	}
	if s := r.revoke(a, str(next, "refresh_token")); s != 200 {
		t.Fatalf("revoking twice: %d", s)
	}

	// Revoking an access token (with token_type_hint) ends it.
	tok = r.tokens(a, "openid")
	s, _, _ = r.post("/oauth/token/revoke", a.ClientID, a.Secret, url.Values{"token": {str(tok, "access_token")}, "token_type_hint": {"access_token"}})
	if s != 200 {
		t.Fatalf("revoke access token: %d", s)
	}
	inactive(t, r.introspect(a, str(tok, "access_token")))
	s, out, _ = r.post("/oauth/token/revoke", "", "", url.Values{"token": {"x"}})
	if s != 401 || str(out, "error") != "invalid_client" {
		t.Fatalf("revocation without client authentication: %d %v", s, out)
	}

	// A public client revokes its own tokens with its client_id.
	pub := r.app(map[string]any{"public": true, "scopes": "openid offline_access"})
	ptok := r.tokens(pub, "openid offline_access")
	s, _, _ = r.post("/oauth/token/revoke", "", "", url.Values{"token": {str(ptok, "refresh_token")}, "client_id": {pub.ClientID}})
	if s != 200 {
		t.Fatalf("public revoke: %d", s)
	}
	if s, _, _ := r.userinfo(str(ptok, "access_token")); s != 401 {
		t.Fatalf("public client's revoked grant: %d", s)
	}

	// Expiry: access tokens after their lifetime, refresh tokens after theirs.
	tok = r.tokens(a, "openid offline_access")
	r.env.Clock.Advance(2*time.Hour + time.Minute)
	inactive(t, r.introspect(a, str(tok, "access_token")))
	if s, _, _ := r.userinfo(str(tok, "access_token")); s != 401 {
		t.Fatalf("expired access token at userinfo: %d", s)
	}
	if got := r.introspect(a, str(tok, "refresh_token")); got["active"] != true {
		t.Fatalf("refresh token within its lifetime: %v", got)
	}
	r.env.Clock.Advance(72 * time.Hour)
	inactive(t, r.introspect(a, str(tok, "refresh_token")))
	if s, out := r.refresh(a, str(tok, "refresh_token"), nil); s != 400 || str(out, "error") != "invalid_grant" {
		t.Fatalf("expired refresh token: %d %v", s, out)
	}
}

func TestBannedUserLosesGrants(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	withOpenID := r.tokens(a, "openid offline_access")
	without := r.tokens(a, "offline_access")
	if s := admin(t, r.env, "POST", "/users/"+r.userID+"/ban", nil, nil); s != 200 {
		t.Fatalf("ban: %d", s)
	}
	for name, tok := range map[string]map[string]any{"openid": withOpenID, "no openid": without} {
		if s, out := r.refresh(a, str(tok, "refresh_token"), nil); s != 400 || str(out, "error") != "invalid_grant" {
			t.Fatalf("%s: a banned user's refresh token worked: %d %v", name, s, out)
		}
		if s, _, _ := r.userinfo(str(tok, "access_token")); s != 401 {
			t.Fatalf("%s: userinfo for a banned user: %d", name, s)
		}
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(map[string]any{"scopes": "openid profile email offline_access"})
	s, tok := r.token(a, url.Values{"grant_type": {"client_credentials"}, "scope": {"profile"}})
	if s != 200 || str(tok, "token_type") != "Bearer" || tok["refresh_token"] != nil || tok["id_token"] != nil || str(tok, "scope") != "profile" {
		t.Fatalf("client_credentials: %d %v", s, tok)
	}
	at := str(tok, "access_token")
	claims := jwtPart(t, at, 1)
	if claims["sub"] != a.ClientID || claims["client_id"] != a.ClientID || claims["iss"] != r.env.PublicURL {
		t.Fatalf("claims %v", claims)
	}
	for _, k := range []string{"email", "name", "given_name", "user_id", "gid", "public_metadata"} {
		if _, ok := claims[k]; ok {
			t.Fatalf("a client's own token carries %s: %v", k, claims)
		}
	}
	if h := jwtPart(t, at, 0); h["typ"] != "at+jwt" || h["alg"] != "RS256" {
		t.Fatalf("header %v", h)
	}
	if s, body, _ := r.userinfo(at); s != 401 || str(body, "error") != "invalid_token" {
		t.Fatalf("userinfo accepted a client token: %d %v", s, body)
	}
	if got := r.introspect(a, at); got["active"] != true || got["sub"] != a.ClientID || got["client_id"] != a.ClientID || got["scope"] != "profile" {
		t.Fatalf("introspection: %v", got)
	}
	for _, scope := range []string{"openid", "offline_access", "private_metadata", "admin"} {
		if s, out := r.token(a, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}); s != 400 || str(out, "error") != "invalid_scope" {
			t.Fatalf("scope %s: %d %v", scope, s, out)
		}
	}
	// Revocation by jti: only that token ends.
	_, other := r.token(a, url.Values{"grant_type": {"client_credentials"}})
	if s := r.revoke(a, at); s != 200 {
		t.Fatalf("revoke: %d", s)
	}
	if got := r.introspect(a, at); len(got) != 1 || got["active"] != false {
		t.Fatalf("revoked client token: %v", got)
	}
	if got := r.introspect(a, str(other, "access_token")); got["active"] != true {
		t.Fatalf("revoking one client token ended another: %v", got)
	}
	if s := admin(t, r.env, "POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": at}, nil); s != 404 {
		t.Fatalf("Backend API verify of a revoked token: %d", s)
	}
	// client_secret_post works as well as Basic.
	s, _, _ = r.post("/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID}, "client_secret": {a.Secret}})
	if s != 200 {
		t.Fatalf("client_secret_post: %d", s)
	}
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	tok := r.tokens(a, "openid")
	idt := str(tok, "id_token")
	end := func(c *http.Client, q url.Values) (*http.Response, string) {
		return r.get(c, r.env.PublicURL+"/oauth/end_session?"+q.Encode())
	}

	t.Run("unregistered post_logout_redirect_uri", func(t *testing.T) {
		for _, u := range []string{"https://evil.example/bye", a.Redirect + "/", a.Redirect + "#x"} {
			res, _ := end(r.anonymous(), url.Values{"id_token_hint": {idt}, "post_logout_redirect_uri": {u}})
			if res.StatusCode != 400 || res.Header.Get("Location") != "" {
				t.Fatalf("%s: %d %s", u, res.StatusCode, res.Header.Get("Location"))
			}
		}
		res, _ := end(r.anonymous(), url.Values{"post_logout_redirect_uri": {a.Redirect}})
		if res.StatusCode != 400 {
			t.Fatalf("no client named: %d", res.StatusCode)
		}
		other := r.app(map[string]any{"name": "Other"})
		res, _ = end(r.anonymous(), url.Values{"id_token_hint": {idt}, "client_id": {other.ClientID}, "post_logout_redirect_uri": {a.Redirect}})
		if res.StatusCode != 400 {
			t.Fatalf("client_id contradicting the hint: %d", res.StatusCode)
		}
		forged := strings.Split(idt, ".")
		res, _ = end(r.anonymous(), url.Values{"id_token_hint": {forged[0] + "." + forged[1] + ".AAAA"}, "post_logout_redirect_uri": {a.Redirect}})
		if res.StatusCode != 400 {
			t.Fatalf("forged hint: %d", res.StatusCode)
		}
	})
	t.Run("registered, with state", func(t *testing.T) {
		res, _ := end(r.browser, url.Values{"id_token_hint": {idt}, "post_logout_redirect_uri": {a.Redirect}, "state": {"bye-1"}})
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), a.Redirect+"?") || loc.Query().Get("state") != "bye-1" {
			t.Fatalf("end_session: %d %s", res.StatusCode, loc)
		}
		// The browser is signed out: authorizing sends it to sign in.
		res, _ = r.authorize(r.browser, r.authorizeParams(a, "openid"))
		if loc := location(t, res); loc.Path != "/sign-in" {
			t.Fatalf("still signed in: %d %s", res.StatusCode, loc)
		}
	})
	t.Run("with client_id and no hint, without a target", func(t *testing.T) {
		res, _ := end(r.anonymous(), url.Values{"client_id": {a.ClientID}, "post_logout_redirect_uri": {a.Redirect}})
		if loc := location(t, res); !strings.HasPrefix(loc.String(), a.Redirect) || loc.Query().Get("state") != "" {
			t.Fatalf("client_id only: %d %s", res.StatusCode, loc)
		}
		res, _ = end(r.anonymous(), url.Values{})
		if loc := location(t, res); loc.String() != r.env.PublicURL+"/sign-in" {
			t.Fatalf("no target: %d %s", res.StatusCode, loc)
		}
	})
}

func TestDynamicRegistration(t *testing.T) {
	t.Parallel()
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		s, out := postJSON(t, r.env.PublicURL+"/oauth/register", map[string]any{"redirect_uris": []string{rigRedirect}})
		if s != 403 || out["client_id"] != nil {
			t.Fatalf("registration while off: %d %v", s, out)
		}
	})
	t.Run("on", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, func(c *config.Config) { c.OAuth.DynamicRegistration = true })
		_, body := r.get(http.DefaultClient, r.env.PublicURL+"/.well-known/openid-configuration")
		if !strings.Contains(body, `"registration_endpoint":"`+r.env.PublicURL+`/oauth/register"`) {
			t.Fatalf("discovery does not advertise registration: %s", body)
		}
		for _, u := range []string{"https://rp.example.com/cb#frag", "https://rp.example.com/cb#", "javascript:alert(1)", "JavaScript:alert(1)",
			"javascript://rp.example.com/%0aalert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "file:///etc/passwd",
			"http://rp.example.com/cb", "/relative", "", "https:///nohost", "https://rp.example.com/a b"} {
			s, out := postJSON(t, r.env.PublicURL+"/oauth/register", map[string]any{"redirect_uris": []string{rigRedirect, u}, "client_name": "X"})
			if s != 400 || out["error"] != "invalid_redirect_uri" || out["client_id"] != nil {
				t.Fatalf("%q: %d %v", u, s, out)
			}
		}
		for _, in := range []map[string]any{{}, {"redirect_uris": []string{}}, {"redirect_uris": []string{rigRedirect}, "scope": "openid admin"}} {
			if s, out := postJSON(t, r.env.PublicURL+"/oauth/register", in); s != 400 || out["client_id"] != nil {
				t.Fatalf("%v: %d %v", in, s, out)
			}
		}
		s, out := postJSON(t, r.env.PublicURL+"/oauth/register", map[string]any{"redirect_uris": []string{rigRedirect, "http://127.0.0.1:8080/cb", "com.example.app:/cb"},
			"client_name": " Evil\x00App\n\t\x1b[31m\u202eexe.txt\u2066 ", "scope": "openid email"})
		if s != 201 || str(out, "client_id") == "" || str(out, "client_secret") == "" {
			t.Fatalf("register: %d %v", s, out)
		}
		name := str(out, "client_name")
		for _, r := range name {
			if r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("client_name keeps control character %U: %q", r, name)
			}
		}
		if !strings.HasPrefix(name, "EvilApp") {
			t.Fatalf("client_name %q", name)
		}
		reg := rigApp{ClientID: str(out, "client_id"), Secret: str(out, "client_secret"), Redirect: rigRedirect}
		// Consent is forced, and the page warns that the app registered itself.
		body = consentPage2(t, r, r.authorizeParams(reg, "openid email"))
		if !strings.Contains(body, "registered itself") || !strings.Contains(body, html.EscapeString(name)) {
			t.Fatalf("consent page for a registered client: %s", body)
		}
		// Without offline_access granted it may not ask for it.
		q := r.authorizeParams(reg, "openid offline_access")
		res, _ := r.authorize(r.browser, q)
		if loc := location(t, res); loc.Query().Get("error") != "invalid_scope" {
			t.Fatalf("scope beyond registration: %s", loc)
		}
		// A public registration gets no secret.
		s, out = postJSON(t, r.env.PublicURL+"/oauth/register", map[string]any{"redirect_uris": []string{"http://localhost:5173/cb"}, "token_endpoint_auth_method": "none"})
		if s != 201 || out["client_secret"] != nil || out["token_endpoint_auth_method"] != "none" || str(out, "client_name") == "" {
			t.Fatalf("public registration: %d %v", s, out)
		}
	})
}

func postJSON(t *testing.T, u string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	res, err := http.Post(u, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	before := r.tokens(a, "openid profile")
	oldKID := jwtPart(t, str(before, "access_token"), 0)["kid"]
	ctx := context.Background()
	newKID, err := r.env.Server.Keyring.Rotate(ctx, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Published at once, signing only after the propagation time.
	if during := r.tokens(a, "openid"); jwtPart(t, str(during, "access_token"), 0)["kid"] != oldKID {
		t.Fatal("the new key signed before it propagated")
	}
	r.env.Clock.Advance(keys.Propagation + time.Second)
	if err := r.env.Server.Keyring.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	after := r.tokens(a, "openid profile")
	if jwtPart(t, str(after, "access_token"), 0)["kid"] != newKID || jwtPart(t, str(after, "id_token"), 0)["kid"] != newKID {
		t.Fatal("the new key does not sign after propagation")
	}
	for name, tok := range map[string]map[string]any{"before": before, "after": after} {
		if s, _, _ := r.userinfo(str(tok, "access_token")); s != 200 {
			t.Fatalf("userinfo with the token from %s the rotation: %d", name, s)
		}
		if got := r.introspect(a, str(tok, "access_token")); got["active"] != true {
			t.Fatalf("introspection of the token from %s the rotation: %v", name, got)
		}
	}
	_, jwks := r.get(http.DefaultClient, r.env.PublicURL+"/.well-known/jwks.json")
	if !strings.Contains(jwks, oldKID.(string)) || !strings.Contains(jwks, newKID) {
		t.Fatalf("jwks during rotation: %s", jwks)
	}
	// Once the old key's tokens have all expired, it is gone.
	r.env.Clock.Advance(2*time.Hour + 6*time.Minute)
	if err := r.env.Server.Keyring.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := r.userinfo(str(before, "access_token")); s != 401 {
		t.Fatalf("a token of the retired key: %d", s)
	}
}
