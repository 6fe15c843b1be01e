package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

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
