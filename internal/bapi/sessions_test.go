package bapi_test

// Backend API sessions and clients: list, get, revoke, tokens, clients/{id},
// clients/verify, and the revocation that comes with a ban. Sessions are
// created the real way, by signing in through the frontend API.

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

const sbPassword = "some-long-passphrase-1"

// sbBrowser is a browser (a cookie jar) on the frontend API.
type sbBrowser struct {
	t   *testing.T
	env *testserver.Env
	c   *http.Client
}

func sbNewBrowser(t *testing.T, env *testserver.Env) *sbBrowser {
	jar, _ := cookiejar.New(nil)
	return &sbBrowser{t: t, env: env, c: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
}

func (b *sbBrowser) do(method, path string, form url.Values) (int, []byte) {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.env.PublicURL+"/v1"+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

func (b *sbBrowser) signIn(email string) string {
	b.t.Helper()
	st, raw := b.do("POST", "/client/sign_ins", url.Values{"identifier": {email}, "strategy": {"password"}, "password": {sbPassword}})
	var out struct {
		Response struct {
			CreatedSessionID *string `json:"created_session_id"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || st != http.StatusOK || out.Response.CreatedSessionID == nil {
		b.t.Fatalf("sign in %s: %d %s", email, st, raw)
	}
	return *out.Response.CreatedSessionID
}

// clientID is the browser's client id, as the frontend API reports it.
func (b *sbBrowser) clientID() string {
	b.t.Helper()
	_, raw := b.do("GET", "/client", nil)
	var out struct {
		Response *struct{ ID string } `json:"response"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Response == nil {
		b.t.Fatalf("GET /client: %s", raw)
	}
	return out.Response.ID
}

// cookie is the browser's __client cookie value.
func (b *sbBrowser) cookie() string {
	u, _ := url.Parse(b.env.PublicURL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "__client" {
			return c.Value
		}
	}
	b.t.Fatal("no __client cookie")
	return ""
}

// mintStatus is the status of a frontend token request.
func (b *sbBrowser) mintStatus(sid string) int {
	b.t.Helper()
	st, _ := b.do("POST", "/client/sessions/"+sid+"/tokens", nil)
	return st
}

func sbCreateUser(t *testing.T, env *testserver.Env, email string) string {
	t.Helper()
	var u struct{ ID string }
	if st := call(t, env, "POST", "/users", map[string]any{"email_address": []string{email}, "password": sbPassword}, &u); st != http.StatusOK {
		t.Fatalf("create user: %d", st)
	}
	return u.ID
}

type sbSession struct {
	Object       string `json:"object"`
	ID           string `json:"id"`
	UserID       string `json:"user_id"`
	ClientID     string `json:"client_id"`
	Status       string `json:"status"`
	LastActiveAt int64  `json:"last_active_at"`
	ExpireAt     int64  `json:"expire_at"`
	AbandonAt    int64  `json:"abandon_at"`
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
}

type sbClient struct {
	Object              string      `json:"object"`
	ID                  string      `json:"id"`
	SessionIDs          []string    `json:"session_ids"`
	Sessions            []sbSession `json:"sessions"`
	LastActiveSessionID *string     `json:"last_active_session_id"`
}

// sbList lists sessions with the query and returns their ids in order.
func sbList(t *testing.T, env *testserver.Env, query string) []string {
	t.Helper()
	var list []sbSession
	if st := call(t, env, "GET", "/sessions?"+query, nil, &list); st != http.StatusOK {
		t.Fatalf("GET /sessions?%s: %d", query, st)
	}
	ids := []string{}
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	return ids
}

func TestSessionsListGetAndStatuses(t *testing.T) {
	env := testserver.Start(t, func(c *config.Config) { c.Sessions.MaxLifetime = time.Hour })
	alice := sbCreateUser(t, env, "alice@example.com")
	bob := sbCreateUser(t, env, "bob@example.com")

	// Oldest first: expired (by lifetime), active, revoked, ended.
	b1 := sbNewBrowser(t, env)
	expired := b1.signIn("alice@example.com")
	env.Clock.Advance(50 * time.Minute)
	b2 := sbNewBrowser(t, env)
	active := b2.signIn("alice@example.com")
	env.Clock.Advance(time.Second)
	b3 := sbNewBrowser(t, env)
	revoked := b3.signIn("alice@example.com")
	env.Clock.Advance(time.Second)
	b4 := sbNewBrowser(t, env)
	ended := b4.signIn("alice@example.com")
	env.Clock.Advance(time.Second)
	bobs := sbNewBrowser(t, env).signIn("bob@example.com")

	var s sbSession
	if st := call(t, env, "POST", "/sessions/"+revoked+"/revoke", nil, &s); st != http.StatusOK || s.Status != "revoked" {
		t.Fatalf("revoke: %d %+v", st, s)
	}
	if st, raw := b4.do("POST", "/client/sessions/"+ended+"/end", nil); st != http.StatusOK {
		t.Fatalf("end: %d %s", st, raw)
	}
	env.Clock.Advance(20 * time.Minute) // the first session is now 70 minutes old

	all := []string{ended, revoked, active, expired} // newest first
	for query, want := range map[string][]string{
		"user_id=" + alice:                               all,
		"user_id=" + alice + "&status=active":            {active},
		"user_id=" + alice + "&status=expired":           {expired},
		"user_id=" + alice + "&status=revoked":           {revoked},
		"user_id=" + alice + "&status=ended":             {ended},
		"user_id=" + alice + "&status=removed":           {},
		"user_id=" + alice + "&limit=2":                  {ended, revoked},
		"user_id=" + alice + "&limit=2&offset=2":         {active, expired},
		"user_id=" + bob:                                 {bobs},
		"user_id=user_nobody":                            {},
		"client_id=" + b2.clientID():                     {active},
		"client_id=" + b1.clientID():                     {expired},
		"client_id=" + b1.clientID() + "&status=expired": {expired},
		"client_id=" + b1.clientID() + "&status=active":  {},
		"client_id=" + b3.clientID() + "&status=revoked": {revoked},
		"client_id=" + b3.clientID() + "&user_id=" + bob: {},
		// Paging applies to the filtered list, also for the two statuses
		// told apart by the clock.
		"user_id=" + alice + "&status=expired&limit=1":          {expired},
		"user_id=" + alice + "&status=active&limit=1&offset=0":  {active},
		"user_id=" + alice + "&status=active&limit=1&offset=1":  {},
		"user_id=" + alice + "&status=expired&limit=1&offset=1": {},
	} {
		if got := sbList(t, env, query); !reflect.DeepEqual(got, want) {
			t.Errorf("GET /sessions?%s = %v, want %v", query, got, want)
		}
	}

	var e apiError
	expectError(t, call(t, env, "GET", "/sessions", nil, &e), e, http.StatusUnprocessableEntity, "form_param_missing")
	e = apiError{}
	expectError(t, call(t, env, "GET", "/sessions?user_id="+alice+"&status=bogus", nil, &e), e,
		http.StatusUnprocessableEntity, "form_param_value_invalid", "status")

	// GET /sessions/{id}: the object, with the derived status.
	for id, status := range map[string]string{expired: "expired", active: "active", revoked: "revoked", ended: "ended"} {
		var got sbSession
		if st := call(t, env, "GET", "/sessions/"+id, nil, &got); st != http.StatusOK {
			t.Fatalf("GET /sessions/%s: %d", id, st)
		}
		if got.Object != "session" || got.ID != id || got.UserID != alice || got.ClientID == "" || got.Status != status ||
			got.CreatedAt == 0 || got.UpdatedAt == 0 || got.LastActiveAt == 0 || got.ExpireAt != got.AbandonAt ||
			got.ExpireAt != got.CreatedAt+time.Hour.Milliseconds() {
			t.Fatalf("GET /sessions/%s = %+v, want status %s", id, got, status)
		}
	}
	e = apiError{}
	expectError(t, call(t, env, "GET", "/sessions/sess_doesnotexist", nil, &e), e, http.StatusNotFound, "resource_not_found")
	e = apiError{}
	expectError(t, call(t, env, "POST", "/sessions/sess_doesnotexist/revoke", nil, &e), e, http.StatusNotFound, "resource_not_found")
}

// sbVerifyToken checks a session JWT against the Backend API's JWKS and
// returns its claims.
func sbVerifyToken(t *testing.T, env *testserver.Env, tok string) jwt.MapClaims {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	call(t, env, "GET", "/jwks", nil, &set)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k["kid"] == tk.Header["kid"] {
				n, _ := base64.RawURLEncoding.DecodeString(k["n"])
				e, _ := base64.RawURLEncoding.DecodeString(k["e"])
				return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
			}
		}
		return nil, jwt.ErrTokenUnverifiable
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(env.Clock.Now), jwt.WithIssuer(env.Server.Config.PublicURL))
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	return claims
}

func TestSessionTokensFromBackend(t *testing.T) {
	env := testserver.Start(t, func(c *config.Config) { c.Sessions.InactivityTimeout = 30 * time.Minute })
	uid := sbCreateUser(t, env, "a@example.com")
	b := sbNewBrowser(t, env)
	sid := b.signIn("a@example.com")

	var tok struct{ Object, JWT string }
	if st := call(t, env, "POST", "/sessions/"+sid+"/tokens", nil, &tok); st != http.StatusOK || tok.Object != "token" {
		t.Fatalf("tokens: %d %+v", st, tok)
	}
	c := sbVerifyToken(t, env, tok.JWT)
	if c["sub"] != uid || c["sid"] != sid || c["azp"] != nil {
		t.Fatalf("claims %v", c)
	}
	iat, _ := c.GetIssuedAt()
	exp, _ := c.GetExpirationTime()
	if exp.Sub(iat.Time) != time.Minute {
		t.Fatalf("exp-iat = %v", exp.Sub(iat.Time))
	}

	// Backend minting counts as activity too, like the frontend's.
	for i := 0; i < 4; i++ {
		env.Clock.Advance(20 * time.Minute)
		if st := call(t, env, "POST", "/sessions/"+sid+"/tokens", map[string]any{}, &tok); st != http.StatusOK {
			t.Fatalf("tokens after %d×20 min: %d", i+1, st)
		}
	}

	var e apiError
	expectError(t, call(t, env, "POST", "/sessions/"+sid+"/tokens", map[string]any{"expires_in_seconds": 3600}, &e), e,
		http.StatusUnprocessableEntity, "form_param_unknown", "expires_in_seconds")
	e = apiError{}
	expectError(t, call(t, env, "POST", "/sessions/sess_doesnotexist/tokens", nil, &e), e, http.StatusNotFound, "resource_not_found")

	// Revoke: neither API mints any more.
	call(t, env, "POST", "/sessions/"+sid+"/revoke", nil, nil)
	e = apiError{}
	st := call(t, env, "POST", "/sessions/"+sid+"/tokens", nil, &e)
	if st == http.StatusOK || len(e.Errors) == 0 || e.Errors[0].Code != "session_not_active" || e.Errors[0].Meta["status"] != "revoked" {
		t.Fatalf("token for a revoked session: %d %+v", st, e)
	}
	if st := b.mintStatus(sid); st != http.StatusUnauthorized {
		t.Fatalf("frontend token for a revoked session: %d", st)
	}

	// Expired by inactivity: the Backend API refuses too.
	b2 := sbNewBrowser(t, env)
	sid2 := b2.signIn("a@example.com")
	env.Clock.Advance(31 * time.Minute)
	e = apiError{}
	st = call(t, env, "POST", "/sessions/"+sid2+"/tokens", nil, &e)
	if st == http.StatusOK || len(e.Errors) == 0 || e.Errors[0].Code != "session_not_active" || e.Errors[0].Meta["status"] != "expired" {
		t.Fatalf("token for an expired session: %d %+v", st, e)
	}
}

func TestClientsGetAndVerify(t *testing.T) {
	env := testserver.Start(t, func(c *config.Config) { c.Sessions.MultiSession = true })
	sbCreateUser(t, env, "a@example.com")
	sbCreateUser(t, env, "b@example.com")
	b := sbNewBrowser(t, env)
	s1 := b.signIn("a@example.com")
	env.Clock.Advance(time.Second)
	s2 := b.signIn("b@example.com")
	cid := b.clientID()

	check := func(what string, c sbClient, ids ...string) {
		t.Helper()
		if c.Object != "client" || c.ID != cid || !reflect.DeepEqual(c.SessionIDs, ids) || len(c.Sessions) != len(ids) {
			t.Fatalf("%s: %+v, want client %s with sessions %v", what, c, cid, ids)
		}
		for i, s := range c.Sessions {
			if s.ID != ids[i] || s.ClientID != cid || s.Object != "session" {
				t.Fatalf("%s: session %d = %+v", what, i, s)
			}
		}
	}
	var c sbClient
	if st := call(t, env, "GET", "/clients/"+cid, nil, &c); st != http.StatusOK {
		t.Fatalf("GET /clients/%s: %d", cid, st)
	}
	check("get", c, s1, s2)
	if c.LastActiveSessionID == nil || *c.LastActiveSessionID != s2 {
		t.Fatalf("last_active_session_id %v, want %s", c.LastActiveSessionID, s2)
	}

	cookie := b.cookie()
	c = sbClient{}
	if st := call(t, env, "POST", "/clients/verify", map[string]string{"token": cookie}, &c); st != http.StatusOK {
		t.Fatalf("verify: %d", st)
	}
	check("verify", c, s1, s2)

	var e apiError
	for _, bad := range []string{"not-a-token", cookie + "x", strings.ToUpper(cookie), strings.Repeat("a", 500)} {
		e = apiError{}
		expectError(t, call(t, env, "POST", "/clients/verify", map[string]string{"token": bad}, &e), e, http.StatusNotFound, "resource_not_found")
	}
	e = apiError{}
	expectError(t, call(t, env, "POST", "/clients/verify", map[string]string{"token": ""}, &e), e,
		http.StatusUnprocessableEntity, "form_param_missing", "token")
	e = apiError{}
	expectError(t, call(t, env, "POST", "/clients/verify", map[string]string{"client_token": cookie}, &e), e,
		http.StatusUnprocessableEntity, "form_param_unknown")
	e = apiError{}
	expectError(t, call(t, env, "GET", "/clients/client_doesnotexist", nil, &e), e, http.StatusNotFound, "resource_not_found")

	// Signing one session out keeps it listed on the client, with its status.
	b.do("POST", "/client/sessions/"+s1+"/end", nil)
	c = sbClient{}
	call(t, env, "POST", "/clients/verify", map[string]string{"token": cookie}, &c)
	check("after end", c, s1, s2)
	if c.Sessions[0].Status != "ended" || c.Sessions[1].Status != "active" {
		t.Fatalf("statuses %s %s", c.Sessions[0].Status, c.Sessions[1].Status)
	}

	// A deleted client (DELETE /v1/client) verifies no more.
	if st, raw := b.do("DELETE", "/client", nil); st != http.StatusOK {
		t.Fatalf("DELETE /client: %d %s", st, raw)
	}
	e = apiError{}
	expectError(t, call(t, env, "POST", "/clients/verify", map[string]string{"token": cookie}, &e), e, http.StatusNotFound, "resource_not_found")
	e = apiError{}
	expectError(t, call(t, env, "GET", "/clients/"+cid, nil, &e), e, http.StatusNotFound, "resource_not_found")

	// A client whose cookie lifetime has passed does not verify either.
	b2 := sbNewBrowser(t, env)
	b2.signIn("a@example.com")
	cookie2 := b2.cookie()
	if st := call(t, env, "POST", "/clients/verify", map[string]string{"token": cookie2}, nil); st != http.StatusOK {
		t.Fatalf("verify fresh client: %d", st)
	}
	env.Clock.Advance(366 * 24 * time.Hour)
	e = apiError{}
	expectError(t, call(t, env, "POST", "/clients/verify", map[string]string{"token": cookie2}, &e), e, http.StatusNotFound, "resource_not_found")
}

func TestBanRevokesSessions(t *testing.T) {
	env := testserver.Start(t)
	alice := sbCreateUser(t, env, "alice@example.com")
	bob := sbCreateUser(t, env, "bob@example.com")
	b1, b2, b3 := sbNewBrowser(t, env), sbNewBrowser(t, env), sbNewBrowser(t, env)
	a1, a2 := b1.signIn("alice@example.com"), b2.signIn("alice@example.com")
	bobs := b3.signIn("bob@example.com")
	// An already-ended session keeps its status.
	b4 := sbNewBrowser(t, env)
	a3 := b4.signIn("alice@example.com")
	b4.do("POST", "/client/sessions/"+a3+"/end", nil)

	var u struct {
		ID     string `json:"id"`
		Banned bool   `json:"banned"`
	}
	if st := call(t, env, "POST", "/users/"+alice+"/ban", nil, &u); st != http.StatusOK || !u.Banned {
		t.Fatalf("ban: %d %+v", st, u)
	}
	if got := sbList(t, env, "user_id="+alice+"&status=revoked"); len(got) != 2 {
		t.Fatalf("revoked after ban: %v, want %s and %s", got, a1, a2)
	}
	if got := sbList(t, env, "user_id="+alice+"&status=active"); len(got) != 0 {
		t.Fatalf("active after ban: %v", got)
	}
	if got := sbList(t, env, "user_id="+alice+"&status=ended"); !reflect.DeepEqual(got, []string{a3}) {
		t.Fatalf("ended after ban: %v", got)
	}
	for _, p := range []struct {
		b   *sbBrowser
		sid string
	}{{b1, a1}, {b2, a2}} {
		if st := p.b.mintStatus(p.sid); st != http.StatusUnauthorized {
			t.Fatalf("token for banned user's session %s: %d", p.sid, st)
		}
	}
	var c sbClient
	if call(t, env, "GET", "/clients/"+b1.clientID(), nil, &c); c.LastActiveSessionID != nil || len(c.Sessions) != 1 || c.Sessions[0].Status != "revoked" {
		t.Fatalf("banned user's client: %+v", c)
	}
	if st := b3.mintStatus(bobs); st != http.StatusOK {
		t.Fatalf("bob's token: %d", st)
	}
	if got := sbList(t, env, "user_id="+bob+"&status=active"); !reflect.DeepEqual(got, []string{bobs}) {
		t.Fatalf("bob's sessions: %v", got)
	}

	// Signing in again is refused while banned; unbanning does not bring the
	// revoked sessions back, but a new sign-in works.
	st, raw := sbNewBrowser(t, env).do("POST", "/client/sign_ins", url.Values{"identifier": {"alice@example.com"},
		"strategy": {"password"}, "password": {sbPassword}})
	if st == http.StatusOK && strings.Contains(string(raw), `"created_session_id":"sess_`) {
		t.Fatalf("banned user signed in: %s", raw)
	}
	call(t, env, "POST", "/users/"+alice+"/unban", nil, nil)
	if st := b1.mintStatus(a1); st != http.StatusUnauthorized {
		t.Fatalf("revoked session after unban: %d", st)
	}
	b5 := sbNewBrowser(t, env)
	if st := b5.mintStatus(b5.signIn("alice@example.com")); st != http.StatusOK {
		t.Fatalf("new session after unban: %d", st)
	}
}

func TestDeletedUserSessionsGo(t *testing.T) {
	env := testserver.Start(t)
	uid := sbCreateUser(t, env, "a@example.com")
	b := sbNewBrowser(t, env)
	sid := b.signIn("a@example.com")
	if st := call(t, env, "DELETE", "/users/"+uid, nil, nil); st != http.StatusOK {
		t.Fatalf("delete user: %d", st)
	}
	if st := b.mintStatus(sid); st != http.StatusNotFound {
		t.Fatalf("token after the user was deleted: %d, want 404", st)
	}
	var e apiError
	expectError(t, call(t, env, "GET", "/sessions/"+sid, nil, &e), e, http.StatusNotFound, "resource_not_found")
	if got := sbList(t, env, "user_id="+uid); len(got) != 0 {
		t.Fatalf("sessions of a deleted user: %v", got)
	}
	// The browser's client survives, without the session.
	var c sbClient
	if st := call(t, env, "POST", "/clients/verify", map[string]string{"token": b.cookie()}, &c); st != http.StatusOK ||
		len(c.SessionIDs) != 0 || c.LastActiveSessionID != nil {
		t.Fatalf("client after the user was deleted: %d %+v", st, c)
	}
}
