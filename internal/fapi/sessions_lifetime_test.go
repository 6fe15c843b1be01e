package fapi_test

// Session lifetimes and the claims of session tokens, driven through the
// frontend API with the injected clock: no test sleeps.

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

func TestSessionMaxLifetime(t *testing.T) {
	env, b, _, sid := sessStart(t) // default: 7-day maximum lifetime, no inactivity timeout
	b.mustMint(sid)

	// No activity is needed to stay signed in for the whole lifetime.
	env.Clock.Advance(7*24*time.Hour - time.Second)
	b.mustMint(sid)
	if st := b.sessionStatus(sid); st != "active" {
		t.Fatalf("at 7 d - 1 s status %q", st)
	}

	env.Clock.Advance(2 * time.Second) // 7 d + 1 s
	b.mustNotMint(sid, "expired")
	if st := b.sessionStatus(sid); st != "expired" {
		t.Fatalf("frontend status %q, want expired", st)
	}
	if st := sessAdminStatus(t, env, sid); st != "expired" {
		t.Fatalf("backend status %q, want expired", st)
	}
	// The client no longer lists it among its sessions.
	_, raw := b.do("GET", "/client", nil, nil)
	var c struct {
		Response struct {
			Sessions            []any   `json:"sessions"`
			LastActiveSessionID *string `json:"last_active_session_id"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &c); err != nil || len(c.Response.Sessions) != 0 || c.Response.LastActiveSessionID != nil {
		t.Fatalf("client after expiry: %s", raw)
	}
	// The Backend API cannot mint for it either.
	if st := sessAdmin(t, env, "POST", "/sessions/"+sid+"/tokens", nil, nil); st == http.StatusOK {
		t.Fatal("backend minted a token for an expired session")
	}
}

func TestSessionInactivityTimeout(t *testing.T) {
	env, b, _, sid := sessStart(t, func(c *config.Config) { c.Sessions.InactivityTimeout = 30 * time.Minute })

	// Minting every 10 minutes keeps the session alive well past 30 minutes.
	for i := 0; i < 12; i++ {
		env.Clock.Advance(10 * time.Minute)
		b.mustMint(sid)
	}
	// 29 idle minutes are fine...
	env.Clock.Advance(29 * time.Minute)
	if st := sessAdminStatus(t, env, sid); st != "active" {
		t.Fatalf("after 29 idle minutes status %q", st)
	}
	b.mustMint(sid)
	// ... 31 are not.
	env.Clock.Advance(31 * time.Minute)
	b.mustNotMint(sid, "expired")
	if st := b.sessionStatus(sid); st != "expired" {
		t.Fatalf("frontend status %q, want expired", st)
	}
	if st := sessAdminStatus(t, env, sid); st != "expired" {
		t.Fatalf("backend status %q, want expired", st)
	}
}

// Tokens minted in quick succession write last_active_at at most once per
// granularity window, yet the inactivity timeout still runs from the latest
// write: a session used continuously never expires.
func TestSessionInactivityWithFrequentMints(t *testing.T) {
	env, b, _, sid := sessStart(t, func(c *config.Config) { c.Sessions.InactivityTimeout = 30 * time.Minute })
	for i := 0; i < 200; i++ { // 200 × 15 s = 50 minutes of continuous use
		env.Clock.Advance(15 * time.Second)
		b.mustMint(sid)
	}
	env.Clock.Advance(28 * time.Minute)
	b.mustMint(sid)
}

func TestSessionRevokedByBackend(t *testing.T) {
	env, b, _, sid := sessStart(t)
	b.mustMint(sid)
	var s struct {
		ID, Status string
	}
	if st := sessAdmin(t, env, "POST", "/sessions/"+sid+"/revoke", nil, &s); st != http.StatusOK || s.Status != "revoked" || s.ID != sid {
		t.Fatalf("revoke: %d %+v", st, s)
	}
	b.mustNotMint(sid, "revoked")
	if st := b.sessionStatus(sid); st != "revoked" {
		t.Fatalf("status %q", st)
	}
	// Revoking again changes nothing.
	if st := sessAdmin(t, env, "POST", "/sessions/"+sid+"/revoke", nil, &s); st != http.StatusOK || s.Status != "revoked" {
		t.Fatalf("second revoke: %d %+v", st, s)
	}
}

func TestSessionEndedBySignOut(t *testing.T) {
	env, b, _, sid := sessStart(t)
	b.mustMint(sid)
	st, raw := b.do("POST", "/client/sessions/"+sid+"/end", nil, nil)
	var out struct {
		Response struct{ Status string } `json:"response"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || st != http.StatusOK || out.Response.Status != "ended" {
		t.Fatalf("end: %d %s", st, raw)
	}
	b.mustNotMint(sid, "ended")
	if got := sessAdminStatus(t, env, sid); got != "ended" {
		t.Fatalf("backend status %q", got)
	}
	// Ending is not undone by a later revoke: the recorded status stays.
	sessAdmin(t, env, "POST", "/sessions/"+sid+"/revoke", nil, nil)
	if got := sessAdminStatus(t, env, sid); got != "ended" {
		t.Fatalf("after revoke status %q, want ended", got)
	}
}

func TestSessionRemoved(t *testing.T) {
	_, b, _, sid := sessStart(t)
	if st, raw := b.do("POST", "/client/sessions/"+sid+"/remove", nil, nil); st != http.StatusOK {
		t.Fatalf("remove: %d %s", st, raw)
	}
	b.mustNotMint(sid, "removed")
}

func TestSessionEndAllOnClient(t *testing.T) {
	env := testserver.Start(t, func(c *config.Config) { c.Sessions.MultiSession = true })
	sessCreateUser(t, env, "a@example.com")
	sessCreateUser(t, env, "b@example.com")
	b := sessNewBrowser(t, env)
	s1, s2 := b.signIn("a@example.com"), b.signIn("b@example.com")
	b.mustMint(s1)
	b.mustMint(s2)

	// Another browser's session is not affected.
	other := sessNewBrowser(t, env)
	s3 := other.signIn("a@example.com")

	if st, raw := b.do("DELETE", "/client/sessions", nil, nil); st != http.StatusOK {
		t.Fatalf("DELETE /client/sessions: %d %s", st, raw)
	}
	b.mustNotMint(s1, "ended")
	b.mustNotMint(s2, "ended")
	other.mustMint(s3)
	for _, sid := range []string{s1, s2} {
		if st := sessAdminStatus(t, env, sid); st != "ended" {
			t.Fatalf("%s status %q", sid, st)
		}
	}
	// The browser keeps its client and can sign in again.
	b.mustMint(b.signIn("a@example.com"))
}

// A browser cannot use another browser's session.
func TestSessionTokenOtherClient(t *testing.T) {
	env, _, _, sid := sessStart(t)
	intruder := sessNewBrowser(t, env)
	sessCreateUser(t, env, "b@example.com")
	intruder.signIn("b@example.com")
	if st, _, e := intruder.mint(sid, nil); st != http.StatusNotFound {
		t.Fatalf("other client's session: %d %+v, want 404", st, e)
	}
	anonymous := sessNewBrowser(t, env)
	if st, _, e := anonymous.mint(sid, nil); st != http.StatusNotFound {
		t.Fatalf("no client: %d %+v, want 404", st, e)
	}
	if st, _, e := intruder.mint("sess_doesnotexist", nil); st != http.StatusNotFound {
		t.Fatalf("unknown session: %d %+v, want 404", st, e)
	}
}

func TestSessionTokenClaims(t *testing.T) {
	const app = "https://app.example.com"
	env, b, uid, sid := sessStart(t, func(c *config.Config) { c.AllowedOrigins = []string{app} })
	issuer := env.Server.Config.PublicURL

	env.Clock.Advance(5*time.Minute + 10*time.Second)
	now := env.Clock.Now().Unix()
	tok := b.mustMint(sid)
	sessVerify(t, env, tok)
	h, c := sessClaims(t, tok)
	if h["alg"] != "RS256" || h["kid"] == nil {
		t.Fatalf("header %v", h)
	}
	num := func(k string) int64 {
		t.Helper()
		n, ok := c[k].(json.Number)
		if !ok {
			t.Fatalf("claim %s = %v (%T), want a number", k, c[k], c[k])
		}
		v, err := n.Int64()
		if err != nil {
			t.Fatalf("claim %s = %v", k, n)
		}
		return v
	}
	if c["iss"] != issuer || c["sub"] != uid || c["sid"] != sid {
		t.Fatalf("iss/sub/sid: %v", c)
	}
	if iat := num("iat"); iat != now {
		t.Fatalf("iat %d, want %d (the server clock)", iat, now)
	}
	if exp := num("exp"); exp != now+60 {
		t.Fatalf("exp %d, want iat+60 = %d", exp, now+60)
	}
	if nbf := num("nbf"); nbf > now || nbf < now-60 {
		t.Fatalf("nbf %d, want at or shortly before iat %d", nbf, now)
	}
	if v := num("v"); v != 2 {
		t.Fatalf("v %d", v)
	}
	fva, ok := c["fva"].([]any)
	if !ok || len(fva) != 2 || fva[0] != json.Number("5") || fva[1] != json.Number("-1") {
		t.Fatalf("fva %v, want [5 -1] (minutes since the first factor; no second factor)", c["fva"])
	}
	if _, has := c["azp"]; has {
		t.Fatalf("azp present without an Origin: %v", c["azp"])
	}
	allowed := map[string]bool{"iss": true, "sub": true, "sid": true, "iat": true, "nbf": true, "exp": true, "v": true, "fva": true}
	for k := range c {
		if !allowed[k] {
			t.Fatalf("unexpected claim %q in %v", k, c)
		}
	}

	// An allowed origin becomes azp; so does the instance's own origin.
	for _, origin := range []string{app, issuer} {
		st, tok, e := b.mint(sid, map[string]string{"Origin": origin})
		if st != http.StatusOK {
			t.Fatalf("Origin %s: %d %+v", origin, st, e)
		}
		if _, c := sessClaims(t, tok); c["azp"] != origin {
			t.Fatalf("Origin %s: azp %v", origin, c["azp"])
		}
	}
	// Any other origin gets no token at all (the frontend API refuses
	// state-changing requests from untrusted origins), so never an azp.
	for _, origin := range []string{"https://evil.example.com", "https://app.example.com.evil.test", "null"} {
		st, tok, e := b.mint(sid, map[string]string{"Origin": origin})
		if st == http.StatusOK {
			if _, c := sessClaims(t, tok); c["azp"] != nil {
				t.Fatalf("Origin %s: azp %v", origin, c["azp"])
			}
			continue
		}
		if st != http.StatusForbidden || e.code() != "origin_invalid" {
			t.Fatalf("Origin %s: %d %+v", origin, st, e)
		}
	}
}

// Touch (setActive in clerk-js) counts as activity and makes the session the
// client's active one; it refuses sessions that are no longer active.
func TestSessionTouch(t *testing.T) {
	env, b, _, sid := sessStart(t, func(c *config.Config) {
		c.Sessions.InactivityTimeout = 30 * time.Minute
		c.Sessions.MultiSession = true
	})
	sessCreateUser(t, env, "b@example.com")
	env.Clock.Advance(time.Second)
	sid2 := b.signIn("b@example.com") // now the active one
	touch := func(id string) (int, string) {
		t.Helper()
		st, raw := b.do("POST", "/client/sessions/"+id+"/touch", nil, nil)
		var out struct {
			Response struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"response"`
			Client struct {
				LastActiveSessionID *string `json:"last_active_session_id"`
			} `json:"client"`
		}
		_ = json.Unmarshal(raw, &out)
		if st == http.StatusOK && (out.Response.ID != id || out.Client.LastActiveSessionID == nil) {
			t.Fatalf("touch %s: %s", id, raw)
		}
		if out.Client.LastActiveSessionID != nil {
			return st, *out.Client.LastActiveSessionID
		}
		return st, ""
	}
	for i := 0; i < 3; i++ { // touching alone keeps the first session alive for 75 minutes
		env.Clock.Advance(25 * time.Minute)
		if st, last := touch(sid); st != http.StatusOK || last != sid {
			t.Fatalf("touch: %d, last active %q", st, last)
		}
		b.mustMint(sid2) // and minting keeps the second
	}
	b.mustMint(sid)
	env.Clock.Advance(31 * time.Minute)
	if st, _ := touch(sid); st != http.StatusUnauthorized {
		t.Fatalf("touch of an expired session: %d, want 401", st)
	}
	other := sessNewBrowser(t, env)
	other.signIn("b@example.com")
	if st, _ := other.do("POST", "/client/sessions/"+sid2+"/touch", nil, nil); st != http.StatusNotFound {
		t.Fatalf("touch of another client's session: %d, want 404", st)
	}
}

// Without a client there is nothing to find, end or mint.
func TestSessionEndpointsWithoutClient(t *testing.T) {
	env, _, _, sid := sessStart(t)
	anon := sessNewBrowser(t, env)
	for _, c := range []struct{ method, path string }{
		{"GET", "/client/sessions/" + sid},
		{"POST", "/client/sessions/" + sid + "/tokens"},
		{"POST", "/client/sessions/" + sid + "/touch"},
		{"POST", "/client/sessions/" + sid + "/end"},
		{"POST", "/client/sessions/" + sid + "/remove"},
		{"DELETE", "/client/sessions"},
	} {
		if st, raw := anon.do(c.method, c.path, nil, nil); st != http.StatusNotFound {
			t.Fatalf("%s %s without a client: %d %s", c.method, c.path, st, raw)
		}
	}
	if got := sessAdminStatus(t, env, sid); got != "active" {
		t.Fatalf("status %q after anonymous attempts", got)
	}
}
