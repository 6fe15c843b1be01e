package fapi_test

// Helpers for the session and token tests (sessions_*_test.go). Every name
// here starts with "sess" so that they cannot clash with the helpers of the
// sign-in and sign-up flow tests in the same package.

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

const sessPassword = "some-long-passphrase-1"

// sessErr is Clerk's error envelope.
type sessErr struct {
	Errors []struct {
		Code string         `json:"code"`
		Meta map[string]any `json:"meta"`
	} `json:"errors"`
}

func (e sessErr) code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// sessAdmin calls the Backend API with the env's secret key, decoding the
// answer into out when non-nil, and returns the status code.
func sessAdmin(t testing.TB, env *testserver.Env, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, env.AdminURL+"/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env.SecretKey)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return res.StatusCode
}

// sessCreateUser creates a user with a password through the Backend API.
func sessCreateUser(t testing.TB, env *testserver.Env, email string) string {
	t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	if st := sessAdmin(t, env, "POST", "/users", map[string]any{
		"email_address": []string{email}, "password": sessPassword}, &u); st != http.StatusOK || u.ID == "" {
		t.Fatalf("create user %s: status %d", email, st)
	}
	return u.ID
}

// sessBrowser is one browser: a cookie jar against the public listener.
type sessBrowser struct {
	t   testing.TB
	env *testserver.Env
	c   *http.Client
}

func sessNewBrowser(t testing.TB, env *testserver.Env) *sessBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &sessBrowser{t: t, env: env, c: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
}

// do sends a form request to the frontend API (path under /v1) with the
// given headers and returns the status and raw body.
func (b *sessBrowser) do(method, path string, form url.Values, hdr map[string]string) (int, []byte) {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.env.PublicURL+"/v1"+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// cookie is the browser's __client cookie value.
func (b *sessBrowser) cookie() string {
	u, _ := url.Parse(b.env.PublicURL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "__client" {
			return c.Value
		}
	}
	return ""
}

// signIn signs email in with a password and returns the new session id.
func (b *sessBrowser) signIn(email string) string {
	b.t.Helper()
	st, raw := b.do("POST", "/client/sign_ins", url.Values{"identifier": {email}, "strategy": {"password"},
		"password": {sessPassword}}, nil)
	var out struct {
		Response struct {
			Status           string  `json:"status"`
			CreatedSessionID *string `json:"created_session_id"`
		} `json:"response"`
	}
	_ = json.Unmarshal(raw, &out)
	if st != http.StatusOK || out.Response.CreatedSessionID == nil {
		b.t.Fatalf("sign in %s: %d %s", email, st, raw)
	}
	return *out.Response.CreatedSessionID
}

// mint asks for a session token; it returns the status, the JWT (on 200)
// and the error envelope (otherwise).
func (b *sessBrowser) mint(sid string, hdr map[string]string) (int, string, sessErr) {
	b.t.Helper()
	st, raw := b.do("POST", "/client/sessions/"+sid+"/tokens", nil, hdr)
	var ok struct {
		Object string `json:"object"`
		JWT    string `json:"jwt"`
	}
	var e sessErr
	if st == http.StatusOK {
		if err := json.Unmarshal(raw, &ok); err != nil || ok.Object != "token" || ok.JWT == "" {
			b.t.Fatalf("token answer %s: %v", raw, err)
		}
	} else {
		_ = json.Unmarshal(raw, &e)
	}
	return st, ok.JWT, e
}

// mustMint mints and fails the test on anything but 200.
func (b *sessBrowser) mustMint(sid string) string {
	b.t.Helper()
	st, tok, e := b.mint(sid, nil)
	if st != http.StatusOK {
		b.t.Fatalf("mint %s: %d %+v", sid, st, e)
	}
	return tok
}

// mustNotMint asserts a token request fails with 401 session_not_active and
// the given status in meta.
func (b *sessBrowser) mustNotMint(sid, status string) {
	b.t.Helper()
	st, _, e := b.mint(sid, nil)
	if st != http.StatusUnauthorized || e.code() != "session_not_active" {
		b.t.Fatalf("mint %s: %d %+v, want 401 session_not_active", sid, st, e)
	}
	if got, _ := e.Errors[0].Meta["status"].(string); got != status {
		b.t.Fatalf("mint %s: meta.status %q, want %q", sid, got, status)
	}
}

// sessionStatus reads a session's status through the frontend API.
func (b *sessBrowser) sessionStatus(sid string) string {
	b.t.Helper()
	st, raw := b.do("GET", "/client/sessions/"+sid, nil, nil)
	var out struct {
		Response struct {
			Status string `json:"status"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || st != http.StatusOK {
		b.t.Fatalf("get session %s: %d %s", sid, st, raw)
	}
	return out.Response.Status
}

// sessAdminStatus reads a session's status through the Backend API.
func sessAdminStatus(t testing.TB, env *testserver.Env, sid string) string {
	t.Helper()
	var s struct {
		Status string `json:"status"`
	}
	if st := sessAdmin(t, env, "GET", "/sessions/"+sid, nil, &s); st != http.StatusOK {
		t.Fatalf("GET /sessions/%s: %d", sid, st)
	}
	return s.Status
}

// sessStart starts a server, creates a user and signs them in on a fresh
// browser.
func sessStart(t *testing.T, mutate ...func(*config.Config)) (*testserver.Env, *sessBrowser, string, string) {
	t.Helper()
	env := testserver.Start(t, mutate...)
	uid := sessCreateUser(t, env, "a@example.com")
	b := sessNewBrowser(t, env)
	return env, b, uid, b.signIn("a@example.com")
}

// sessClaims decodes a JWT's header and claims without verifying it.
func sessClaims(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
	}
	return header, claims
}

// sessJWKS fetches the JWKS from the Backend API.
func sessJWKS(t testing.TB, env *testserver.Env) []map[string]string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if st := sessAdmin(t, env, "GET", "/jwks", nil, &set); st != http.StatusOK || len(set.Keys) == 0 {
		t.Fatalf("GET /jwks: %d %+v", st, set)
	}
	return set.Keys
}

// sessVerify checks tok's RS256 signature against the published JWKS, with
// the clock check left to the caller.
func sessVerify(t testing.TB, env *testserver.Env, tok string) {
	t.Helper()
	keys := sessJWKS(t, env)
	_, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
		kid, _ := tk.Header["kid"].(string)
		for _, k := range keys {
			if k["kid"] == kid {
				n, _ := base64.RawURLEncoding.DecodeString(k["n"])
				e, _ := base64.RawURLEncoding.DecodeString(k["e"])
				return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
			}
		}
		return nil, jwt.ErrTokenUnverifiable
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		t.Fatalf("token does not verify against the JWKS: %v", err)
	}
}
