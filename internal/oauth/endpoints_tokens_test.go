package oauth_test

import (
	"net/url"
	"testing"
	"time"
)

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
