package oauth_test

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
)

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
