package oauth_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

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
