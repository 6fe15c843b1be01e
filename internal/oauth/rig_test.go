package oauth_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

// rig is one running Latchkey with a signed-in browser: the shared set-up
// of the hostile, concurrency, endpoint and Backend API tests.
type rig struct {
	t       *testing.T
	env     *testserver.Env
	browser *http.Client // signed in as userID; never follows redirects
	userID  string
	email   string
}

// rigApp is a registered OAuth application and how to authenticate as it.
type rigApp struct {
	ID, ClientID, Secret, Redirect string
}

const rigRedirect = "https://rp.example.com/cb"

func newRig(t *testing.T, mutate ...func(*config.Config)) *rig {
	t.Helper()
	env := testserver.StartListening(t, mutate...)
	email := "ada@example.com"
	browser, userID := signedInBrowser(t, env, email)
	return &rig{t: t, env: env, browser: browser, userID: userID, email: email}
}

// anonymous is a browser with a cookie jar and no session.
func (r *rig) anonymous() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// app creates an application through the Backend API. body overrides the
// defaults: every scope, one redirect URI, no consent screen.
func (r *rig) app(body map[string]any) rigApp {
	r.t.Helper()
	in := map[string]any{"name": "Relying Party", "redirect_uris": []string{rigRedirect},
		"scopes": "openid profile email public_metadata private_metadata offline_access", "consent_screen_enabled": false}
	for k, v := range body {
		in[k] = v
	}
	var out struct {
		ID           string   `json:"id"`
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret"`
		RedirectURIs []string `json:"redirect_uris"`
	}
	if s := admin(r.t, r.env, "POST", "/oauth_applications", in, &out); s != 200 {
		r.t.Fatalf("create app: %d %+v", s, out)
	}
	a := rigApp{ID: out.ID, ClientID: out.ClientID, Secret: out.ClientSecret}
	if len(out.RedirectURIs) > 0 {
		a.Redirect = out.RedirectURIs[0]
	}
	return a
}

// pkce returns a fresh verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeParams are a valid request for a, to be adjusted by the test.
func (r *rig) authorizeParams(a rigApp, scope string) url.Values {
	return url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.Redirect}, "response_type": {"code"},
		"scope": {scope}, "state": {"st-123"}, "nonce": {"n-456"}}
}

// get sends a GET with c and returns the response with its body read.
func (r *rig) get(c *http.Client, u string) (*http.Response, string) {
	r.t.Helper()
	res, err := c.Get(u)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// authorize sends an authorization request with c.
func (r *rig) authorize(c *http.Client, q url.Values) (*http.Response, string) {
	r.t.Helper()
	return r.get(c, r.env.PublicURL+"/oauth/authorize?"+q.Encode())
}

// location parses a redirect's target.
func location(t *testing.T, res *http.Response) *url.URL {
	t.Helper()
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v", res.Header.Get("Location"), err)
	}
	return u
}

// code runs the authorization step for a signed-in browser and returns the
// code; q adjusts the default request (an empty value deletes a parameter).
func (r *rig) code(a rigApp, scope string, q url.Values) string {
	r.t.Helper()
	p := r.authorizeParams(a, scope)
	for k, v := range q {
		if len(v) == 1 && v[0] == "" {
			p.Del(k)
		} else {
			p[k] = v
		}
	}
	res, body := r.authorize(r.browser, p)
	loc := location(r.t, res)
	if res.StatusCode != http.StatusSeeOther || loc.Query().Get("code") == "" {
		r.t.Fatalf("authorize: %d %s %s", res.StatusCode, loc, body)
	}
	return loc.Query().Get("code")
}

// post sends a form, with Basic credentials when id is set, and decodes the JSON answer.
func (r *rig) post(path, id, secret string, form url.Values) (int, map[string]any, http.Header) {
	r.t.Helper()
	req, _ := http.NewRequest("POST", r.env.PublicURL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			r.t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
		}
	}
	return res.StatusCode, out, res.Header
}

// token calls the token endpoint as a.
func (r *rig) token(a rigApp, form url.Values) (int, map[string]any) {
	r.t.Helper()
	s, out, _ := r.post("/oauth/token", a.ClientID, a.Secret, form)
	return s, out
}

// exchange redeems a code (with verifier when set) and requires success.
func (r *rig) exchange(a rigApp, code, verifier string) map[string]any {
	r.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.Redirect}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	s, out := r.token(a, form)
	if s != 200 {
		r.t.Fatalf("exchange: %d %v", s, out)
	}
	return out
}

// tokens runs the whole code flow with PKCE for scope.
func (r *rig) tokens(a rigApp, scope string) map[string]any {
	r.t.Helper()
	v, c := pkce()
	code := r.code(a, scope, url.Values{"code_challenge": {c}, "code_challenge_method": {"S256"}})
	return r.exchange(a, code, v)
}

func (r *rig) refresh(a rigApp, rt string, extra url.Values) (int, map[string]any) {
	r.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	return r.token(a, form)
}

// userinfo calls GET /oauth/userinfo with a bearer token.
func (r *rig) userinfo(tok string) (int, map[string]any, http.Header) {
	r.t.Helper()
	req, _ := http.NewRequest("GET", r.env.PublicURL+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, res.Header
}

// introspect calls /oauth/token_info as a.
func (r *rig) introspect(a rigApp, tok string) map[string]any {
	r.t.Helper()
	s, out, _ := r.post("/oauth/token_info", a.ClientID, a.Secret, url.Values{"token": {tok}})
	if s != 200 {
		r.t.Fatalf("introspect: %d %v", s, out)
	}
	return out
}

// revoke calls /oauth/token/revoke as a.
func (r *rig) revoke(a rigApp, tok string) int {
	r.t.Helper()
	s, _, _ := r.post("/oauth/token/revoke", a.ClientID, a.Secret, url.Values{"token": {tok}})
	return s
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// jwtPart decodes a JWT's header (0) or payload (1).
func jwtPart(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// sessionIDs lists the user's sessions, newest first.
func (r *rig) sessionIDs() []string {
	r.t.Helper()
	rows, err := r.env.DB.Pool.Query(context.Background(), `SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC`, r.userID)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}
