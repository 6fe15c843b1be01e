package oauth_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestHostileAuthorizeRequests: a request naming an unknown client or a
// return address that is not registered byte for byte is shown to the
// person as an error page and never redirected (RFC 6749 §4.1.2.1, RFC 9700
// §4.1.3); once client and redirect URI are trusted, every other problem
// goes back to the client with state and iss (RFC 9207).
func TestHostileAuthorizeRequests(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	conf := r.app(nil)
	pub := r.app(map[string]any{"public": true, "name": "Public RP", "redirect_uris": []string{"https://public.example.com/cb"}, "scopes": "openid"})
	_, challenge := pkce()

	type want struct {
		page  bool   // 400 HTML error page, no redirect
		err   string // error code delivered to the redirect URI
		state string // state expected back ("" = not checked)
	}
	page := want{page: true}
	redirect := func(code string) want { return want{err: code, state: "st-123"} }
	cases := []struct {
		name  string
		app   rigApp
		set   map[string]string // "" deletes the parameter
		extra string            // appended raw to the query (repeated parameters)
		want  want
	}{
		// The redirect URI must match exactly.
		{"redirect path suffix", conf, map[string]string{"redirect_uri": rigRedirect + "x"}, "", page},
		{"redirect dotted suffix", conf, map[string]string{"redirect_uri": rigRedirect + ".evil.example"}, "", page},
		{"redirect host suffix", conf, map[string]string{"redirect_uri": "https://rp.example.com.evil.example/cb"}, "", page},
		{"redirect extra path", conf, map[string]string{"redirect_uri": rigRedirect + "/extra"}, "", page},
		{"redirect trailing slash", conf, map[string]string{"redirect_uri": rigRedirect + "/"}, "", page},
		{"redirect dot segments", conf, map[string]string{"redirect_uri": "https://rp.example.com/x/../cb"}, "", page},
		{"redirect percent-encoded path", conf, map[string]string{"redirect_uri": "https://rp.example.com/%63b"}, "", page},
		{"redirect host case", conf, map[string]string{"redirect_uri": "https://RP.example.com/cb"}, "", page},
		{"redirect path case", conf, map[string]string{"redirect_uri": "https://rp.example.com/CB"}, "", page},
		{"redirect scheme case", conf, map[string]string{"redirect_uri": "HTTPS://rp.example.com/cb"}, "", page},
		{"redirect http downgrade", conf, map[string]string{"redirect_uri": "http://rp.example.com/cb"}, "", page},
		{"redirect explicit port", conf, map[string]string{"redirect_uri": "https://rp.example.com:443/cb"}, "", page},
		{"redirect userinfo", conf, map[string]string{"redirect_uri": "https://good@evil.example"}, "", page},
		{"redirect userinfo before registered host", conf, map[string]string{"redirect_uri": "https://rp.example.com@evil.example/cb"}, "", page},
		{"redirect fragment", conf, map[string]string{"redirect_uri": rigRedirect + "#frag"}, "", page},
		{"redirect empty fragment", conf, map[string]string{"redirect_uri": rigRedirect + "#"}, "", page},
		{"redirect added query", conf, map[string]string{"redirect_uri": rigRedirect + "?next=https://evil.example"}, "", page},
		{"redirect foreign", conf, map[string]string{"redirect_uri": "https://evil.example/cb"}, "", page},
		{"redirect javascript", conf, map[string]string{"redirect_uri": "javascript:alert(1)"}, "", page},
		{"redirect of another client", conf, map[string]string{"redirect_uri": "https://public.example.com/cb"}, "", page},
		// The client must be known, and named once.
		{"client_id missing", conf, map[string]string{"client_id": ""}, "", page},
		{"client_id unknown", conf, map[string]string{"client_id": "nope"}, "", page},
		{"client_id twice", conf, nil, "&client_id=" + pub.ClientID, page},
		{"client_id twice same", conf, nil, "&client_id=" + conf.ClientID, page},
		{"redirect_uri twice", conf, nil, "&redirect_uri=" + url.QueryEscape("https://evil.example/cb"), page},
		// Trusted client and redirect URI: errors go back to it.
		{"response_type missing", conf, map[string]string{"response_type": ""}, "", redirect("invalid_request")},
		{"response_type token", conf, map[string]string{"response_type": "token"}, "", redirect("unsupported_response_type")},
		{"response_type id_token", conf, map[string]string{"response_type": "code id_token"}, "", redirect("unsupported_response_type")},
		{"response_type twice", conf, nil, "&response_type=token", redirect("invalid_request")},
		{"state twice", conf, nil, "&state=other", want{err: "invalid_request"}},
		{"scope twice", conf, nil, "&scope=openid", redirect("invalid_request")},
		{"nonce twice", conf, nil, "&nonce=n2", redirect("invalid_request")},
		{"code_challenge twice", pub, nil, "&code_challenge=" + challenge, redirect("invalid_request")},
		{"unknown scope", conf, map[string]string{"scope": "openid admin"}, "", redirect("invalid_scope")},
		{"scope not granted to the app", pub, map[string]string{"scope": "openid private_metadata"}, "", redirect("invalid_scope")},
		{"pkce plain", conf, map[string]string{"code_challenge": challenge, "code_challenge_method": "plain"}, "", redirect("invalid_request")},
		{"pkce method missing", conf, map[string]string{"code_challenge": challenge, "code_challenge_method": ""}, "", redirect("invalid_request")},
		{"pkce method without challenge", conf, map[string]string{"code_challenge_method": "S256"}, "", redirect("invalid_request")},
		{"pkce challenge too short", conf, map[string]string{"code_challenge": "abc", "code_challenge_method": "S256"}, "", redirect("invalid_request")},
		{"public client without challenge", pub, map[string]string{"code_challenge": "", "code_challenge_method": ""}, "", redirect("invalid_request")},
		{"prompt none with login", conf, map[string]string{"prompt": "none login"}, "", redirect("invalid_request")},
		{"max_age negative", conf, map[string]string{"max_age": "-5"}, "", redirect("invalid_request")},
		{"max_age not a number", conf, map[string]string{"max_age": "soon"}, "", redirect("invalid_request")},
		{"response_mode fragment", conf, map[string]string{"response_mode": "fragment"}, "", redirect("invalid_request")},
		{"request object", conf, map[string]string{"request": "eyJhbGciOiJub25lIn0.e30."}, "", redirect("request_not_supported")},
		{"request_uri", conf, map[string]string{"request_uri": "https://evil.example/req.jwt"}, "", redirect("request_uri_not_supported")},
		{"state too long", conf, map[string]string{"state": strings.Repeat("s", 3000)}, "", want{err: "invalid_request"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := r.authorizeParams(c.app, "openid profile")
			if c.app.ClientID == pub.ClientID {
				q.Set("redirect_uri", "https://public.example.com/cb")
				q.Set("scope", "openid")
				q.Set("code_challenge", challenge)
				q.Set("code_challenge_method", "S256")
			}
			for k, v := range c.set {
				if v == "" {
					q.Del(k)
				} else {
					q.Set(k, v)
				}
			}
			res, body := r.get(r.browser, r.env.PublicURL+"/oauth/authorize?"+q.Encode()+c.extra)
			if c.want.page {
				if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" ||
					!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("want a 400 error page, got %d Location=%q %s", res.StatusCode, res.Header.Get("Location"), res.Header.Get("Content-Type"))
				}
				if strings.Contains(body, "evil.example") {
					t.Fatalf("the error page repeats the attacker's address: %s", body)
				}
				return
			}
			loc := location(t, res)
			reg := q.Get("redirect_uri")
			if res.StatusCode != http.StatusSeeOther || loc.Scheme+"://"+loc.Host+loc.Path != reg {
				t.Fatalf("want a redirect to %s, got %d %s %s", reg, res.StatusCode, loc, body)
			}
			got := loc.Query()
			if got.Get("error") != c.want.err || got.Get("code") != "" || got.Get("iss") != r.env.PublicURL {
				t.Fatalf("redirect carries %v, want error=%s and iss", got, c.want.err)
			}
			if c.want.state != "" && got.Get("state") != c.want.state {
				t.Fatalf("state %q, want %q", got.Get("state"), c.want.state)
			}
		})
	}

	t.Run("redirect_uri may be omitted when exactly one is registered", func(t *testing.T) {
		code := r.code(conf, "openid", url.Values{"redirect_uri": {""}})
		// RFC 6749 §4.1.3: it was not in the request, so it is not required here.
		s, out := r.token(conf, url.Values{"grant_type": {"authorization_code"}, "code": {code}})
		if s != 200 {
			t.Fatalf("redeeming a code of a request without redirect_uri: %d %v", s, out)
		}
	})
	t.Run("redirect_uri is required when several are registered", func(t *testing.T) {
		two := r.app(map[string]any{"redirect_uris": []string{rigRedirect, "https://rp.example.com/other"}})
		q := r.authorizeParams(two, "openid")
		q.Del("redirect_uri")
		res, _ := r.authorize(r.browser, q)
		if res.StatusCode != 400 || res.Header.Get("Location") != "" {
			t.Fatalf("got %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

// TestHostileTokenRequests covers PKCE, codes and refresh tokens at the token endpoint.
func TestHostileTokenRequests(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	b := r.app(map[string]any{"name": "Other RP", "redirect_uris": []string{"https://other.example.com/cb"}})
	pub := r.app(map[string]any{"public": true, "redirect_uris": []string{"https://public.example.com/cb"}, "scopes": "openid offline_access"})
	redeem := func(app rigApp, code string, extra map[string]string) (int, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {app.Redirect}}
		for k, v := range extra {
			form.Set(k, v)
		}
		return r.token(app, form)
	}
	wantErr := func(t *testing.T, s int, out map[string]any, status int, code string) {
		t.Helper()
		if s != status || str(out, "error") != code || out["access_token"] != nil {
			t.Fatalf("got %d %v, want %d %s", s, out, status, code)
		}
	}
	withPKCE := func(app rigApp, scope string) (code, verifier string) {
		v, c := pkce()
		return r.code(app, scope, url.Values{"code_challenge": {c}, "code_challenge_method": {"S256"}}), v
	}

	t.Run("verifier without challenge", func(t *testing.T) {
		code := r.code(a, "openid", nil)
		v, _ := pkce()
		s, out := redeem(a, code, map[string]string{"code_verifier": v})
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := withPKCE(a, "openid")
		other, _ := pkce()
		s, out := redeem(a, code, map[string]string{"code_verifier": other})
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("missing verifier", func(t *testing.T) {
		code, _ := withPKCE(a, "openid")
		s, out := redeem(a, code, nil)
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("public client without verifier", func(t *testing.T) {
		code, _ := withPKCE(pub, "openid")
		s, out := redeem(pub, code, nil)
		wantErr(t, s, out, 400, "invalid_grant")
	})
	for _, n := range []int{42, 129} {
		t.Run(fmt.Sprintf("verifier of %d characters", n), func(t *testing.T) {
			v := strings.Repeat("a", n)
			sum := sha256.Sum256([]byte(v))
			code := r.code(a, "openid", url.Values{"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}})
			s, out := redeem(a, code, map[string]string{"code_verifier": v})
			wantErr(t, s, out, 400, "invalid_grant")
		})
	}
	t.Run("verifier with characters outside the alphabet", func(t *testing.T) {
		v := strings.Repeat("a", 42) + "+"
		sum := sha256.Sum256([]byte(v))
		code := r.code(a, "openid", url.Values{"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}})
		s, out := redeem(a, code, map[string]string{"code_verifier": v})
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("code reused revokes the first tokens", func(t *testing.T) {
		code, v := withPKCE(a, "openid profile offline_access")
		first := r.exchange(a, code, v)
		if s, _, _ := r.userinfo(str(first, "access_token")); s != 200 {
			t.Fatalf("userinfo before reuse: %d", s)
		}
		s, out := redeem(a, code, map[string]string{"code_verifier": v})
		wantErr(t, s, out, 400, "invalid_grant")
		s, body, h := r.userinfo(str(first, "access_token"))
		if s != 401 || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("userinfo with a token of a reused code: %d %v", s, body)
		}
		s, out = r.refresh(a, str(first, "refresh_token"), nil)
		wantErr(t, s, out, 400, "invalid_grant")
		if got := r.introspect(a, str(first, "access_token")); len(got) != 1 || got["active"] != false {
			t.Fatalf("introspection of a token of a reused code: %v", got)
		}
	})
	t.Run("code redeemed by another client", func(t *testing.T) {
		code, v := withPKCE(a, "openid")
		s, out := r.token(b, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.Redirect}, "code_verifier": {v}})
		wantErr(t, s, out, 400, "invalid_grant")
		s, out = r.token(b, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {b.Redirect}, "code_verifier": {v}})
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("code with another redirect_uri", func(t *testing.T) {
		code, v := withPKCE(a, "openid")
		s, out := r.token(a, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rigRedirect + "/"}, "code_verifier": {v}})
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("code without redirect_uri when the request had one", func(t *testing.T) {
		code, v := withPKCE(a, "openid")
		s, out := r.token(a, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}})
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("unknown code", func(t *testing.T) {
		s, out := redeem(a, "not-a-code", nil)
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("client authentication", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}}
		s, out, h := r.post("/oauth/token", a.ClientID, "wrong", form)
		if s != 401 || str(out, "error") != "invalid_client" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("wrong secret: %d %v %v", s, out, h)
		}
		s, out, _ = r.post("/oauth/token", "", "", form)
		wantErr(t, s, out, 401, "invalid_client")
		s, out, _ = r.post("/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID}})
		wantErr(t, s, out, 401, "invalid_client")
		s, out, _ = r.post("/oauth/token", a.ClientID, a.Secret, url.Values{"grant_type": {"client_credentials"}, "client_secret": {a.Secret}})
		wantErr(t, s, out, 400, "invalid_request")
		s, out, _ = r.post("/oauth/token", a.ClientID, a.Secret, url.Values{"grant_type": {"password"}, "username": {r.email}})
		wantErr(t, s, out, 400, "unsupported_grant_type")
		s, out, _ = r.post("/oauth/token", a.ClientID, a.Secret, url.Values{"grant_type": {"client_credentials", "client_credentials"}})
		wantErr(t, s, out, 400, "invalid_request")
		s, out, _ = r.post("/oauth/token", pub.ClientID, "a-secret", url.Values{"grant_type": {"client_credentials"}})
		wantErr(t, s, out, 401, "invalid_client")
		s, out, _ = r.post("/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {pub.ClientID}})
		wantErr(t, s, out, 400, "unauthorized_client")
	})
	t.Run("refresh token of another client", func(t *testing.T) {
		tok := r.tokens(a, "openid offline_access")
		s, out := r.refresh(b, str(tok, "refresh_token"), nil)
		wantErr(t, s, out, 400, "invalid_grant")
	})
	t.Run("refresh after rotation revokes the family", func(t *testing.T) {
		tok := r.tokens(a, "openid offline_access")
		s, next := r.refresh(a, str(tok, "refresh_token"), nil)
		if s != 200 || str(next, "refresh_token") == "" || str(next, "refresh_token") == str(tok, "refresh_token") {
			t.Fatalf("first refresh: %d %v", s, next)
		}
		s, out := r.refresh(a, str(tok, "refresh_token"), nil)
		wantErr(t, s, out, 400, "invalid_grant")
		s, out = r.refresh(a, str(next, "refresh_token"), nil)
		wantErr(t, s, out, 400, "invalid_grant")
		if s, _, _ := r.userinfo(str(next, "access_token")); s != 401 {
			t.Fatalf("the newest access token of a revoked family: %d", s)
		}
	})
	t.Run("scope escalation on refresh", func(t *testing.T) {
		tok := r.tokens(a, "openid offline_access")
		s, out := r.refresh(a, str(tok, "refresh_token"), url.Values{"scope": {"openid offline_access profile"}})
		wantErr(t, s, out, 400, "invalid_scope")
		// Narrowing is allowed, and the narrowed token cannot widen again.
		s, out = r.refresh(a, str(tok, "refresh_token"), url.Values{"scope": {"offline_access"}})
		if s != 200 || str(out, "scope") != "offline_access" || out["id_token"] != nil {
			t.Fatalf("narrowing refresh: %d %v", s, out)
		}
		s, out = r.refresh(a, str(out, "refresh_token"), url.Values{"scope": {"openid offline_access"}})
		wantErr(t, s, out, 400, "invalid_scope")
	})
	t.Run("introspection without client authentication", func(t *testing.T) {
		tok := r.tokens(a, "openid")
		for name, creds := range map[string][2]string{"none": {}, "wrong secret": {a.ClientID, "wrong"}, "public": {pub.ClientID, ""}} {
			s, out, h := r.post("/oauth/token_info", creds[0], creds[1], url.Values{"token": {str(tok, "access_token")}})
			if s != 401 || str(out, "error") != "invalid_client" || out["active"] != nil || h.Get("WWW-Authenticate") == "" {
				t.Fatalf("%s: %d %v", name, s, out)
			}
		}
		s, out, _ := r.post("/oauth/token_info", "", "", url.Values{"token": {str(tok, "access_token")}, "client_id": {pub.ClientID}})
		if s != 401 || str(out, "error") != "invalid_client" {
			t.Fatalf("public client by client_id: %d %v", s, out)
		}
	})
	t.Run("revoking another client's token", func(t *testing.T) {
		tok := r.tokens(a, "openid offline_access")
		if s := r.revoke(b, str(tok, "access_token")); s != 200 {
			t.Fatalf("revoke: %d", s)
		}
		if s := r.revoke(b, str(tok, "refresh_token")); s != 200 {
			t.Fatalf("revoke: %d", s)
		}
		if s, _, _ := r.userinfo(str(tok, "access_token")); s != 200 {
			t.Fatalf("another client revoked the token: %d", s)
		}
		if s, out := r.refresh(a, str(tok, "refresh_token"), nil); s != 200 {
			t.Fatalf("another client revoked the refresh token: %d %v", s, out)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		code, v := withPKCE(a, "openid")
		r.env.Clock.Advance(11 * time.Minute)
		s, out := redeem(a, code, map[string]string{"code_verifier": v})
		wantErr(t, s, out, 400, "invalid_grant")
	})
}

// TestForgedAccessTokens sends tokens the provider did not issue as access
// tokens to userinfo, introspection and the Backend API's verify.
func TestForgedAccessTokens(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	tok := r.tokens(a, "openid profile email")
	real := str(tok, "access_token")
	header, payload := jwtPart(t, real, 0), jwtPart(t, real, 1)
	kid, _ := header["kid"].(string)
	pubKey, ok := r.env.Server.Keyring.PublicKey(kid)
	if !ok {
		t.Fatal("no public key for the token's kid")
	}
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	hs256 := func(secret []byte, claims map[string]any) string {
		h := map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}
		signing := enc(h) + "." + enc(claims)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(signing))
		return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	rs256 := func(key *rsa.PrivateKey, kid, typ string, claims jwt.MapClaims) string {
		tk := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tk.Header["kid"] = kid
		if typ != "" {
			tk.Header["typ"] = typ
		}
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(mut func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range payload {
			c[k] = v
		}
		if mut != nil {
			mut(c)
		}
		return c
	}
	pkix, _ := x509.MarshalPKIXPublicKey(pubKey)
	pkcs1 := x509.MarshalPKCS1PublicKey(pubKey)
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	ours := r.env.Server.Keyring.Signer()
	ctx := context.Background()
	sessions := r.sessionIDs()
	sessionJWT, err := r.env.Server.Sessions.MintToken(ctx, sessions[0], "", "")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(real, ".")
	tampered := parts[0] + "." + enc(claims(func(c jwt.MapClaims) { c["sub"] = "user_someone_else" })) + "." + parts[2]

	forged := map[string]string{
		"alg none":                      enc(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + enc(payload) + ".",
		"alg none uppercase":            enc(map[string]any{"alg": "NONE", "typ": "at+jwt", "kid": kid}) + "." + enc(payload) + ".",
		"HS256 with the PEM public key": hs256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}), payload),
		"HS256 with the PKCS1 PEM":      hs256(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1}), payload),
		"HS256 with the DER public key": hs256(pkix, payload),
		"HS256 with the modulus":        hs256(pubKey.N.Bytes(), payload),
		"attacker key with our kid":     rs256(attacker, kid, "at+jwt", claims(nil)),
		"attacker key, own kid":         rs256(attacker, "attacker", "at+jwt", claims(nil)),
		"another issuer":                rs256(ours.Key, ours.KID, "at+jwt", claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })),
		"issuer with trailing slash":    rs256(ours.Key, ours.KID, "at+jwt", claims(func(c jwt.MapClaims) { c["iss"] = r.env.PublicURL + "/" })),
		"typ JWT":                       rs256(ours.Key, ours.KID, "JWT", claims(nil)),
		"no typ":                        rs256(ours.Key, ours.KID, "", claims(nil)),
		"no exp":                        rs256(ours.Key, ours.KID, "at+jwt", claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"no jti":                        rs256(ours.Key, ours.KID, "at+jwt", claims(func(c jwt.MapClaims) { delete(c, "jti") })),
		"expired":                       rs256(ours.Key, ours.KID, "at+jwt", claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })),
		"session token":                 sessionJWT,
		"id token":                      str(tok, "id_token"),
		"tampered payload":              tampered,
		"garbage":                       "not.a.jwt",
		"huge":                          strings.Repeat("a", 10000),
	}
	for name, f := range forged {
		t.Run(name, func(t *testing.T) {
			s, body, h := r.userinfo(f)
			if s != 401 || str(body, "error") != "invalid_token" || body["sub"] != nil ||
				!strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer ") || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Fatalf("userinfo: %d %v %q", s, body, h.Get("WWW-Authenticate"))
			}
			if got := r.introspect(a, f); len(got) != 1 || got["active"] != false {
				t.Fatalf("introspection: %v", got)
			}
			if s := admin(t, r.env, "POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": f}, nil); s != 404 {
				t.Fatalf("Backend API verify: %d", s)
			}
		})
	}
	if s, _, _ := r.userinfo(real); s != 200 {
		t.Fatalf("the real token: %d", s)
	}
	// The same claims re-signed by our key with our kid are accepted: the
	// cases above fail for the reason they name, not by accident.
	if s, _, _ := r.userinfo(rs256(ours.Key, ours.KID, "at+jwt", claims(nil))); s != 200 {
		t.Fatalf("control token: %d", s)
	}
	// No token: a challenge without an error code (RFC 6750 §3.1).
	req, _ := http.NewRequest("GET", r.env.PublicURL+"/oauth/userinfo", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no token: %d %v", res.StatusCode, res.Header)
	}
}
