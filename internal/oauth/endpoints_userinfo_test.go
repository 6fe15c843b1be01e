package oauth_test

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
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
