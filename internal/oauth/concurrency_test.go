package oauth_test

import (
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
)

const parallel = 50

// race runs fn parallel times at once and collects the answers.
func race(fn func(i int) (int, map[string]any)) ([]int, []map[string]any) {
	statuses, bodies := make([]int, parallel), make([]map[string]any, parallel)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range parallel {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			statuses[i], bodies[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return statuses, bodies
}

// TestConcurrentCodeRedemption: of 50 simultaneous redemptions of one code
// exactly one gets tokens; the rest are reuse, which revokes them.
func TestConcurrentCodeRedemption(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	v, c := pkce()
	code := r.code(a, "openid offline_access", url.Values{"code_challenge": {c}, "code_challenge_method": {"S256"}})
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.Redirect}, "code_verifier": {v}}
	statuses, bodies := race(func(int) (int, map[string]any) {
		s, out, _ := r.post("/oauth/token", a.ClientID, a.Secret, form)
		return s, out
	})
	won := -1
	for i, s := range statuses {
		switch {
		case s == 200 && won >= 0:
			t.Fatalf("two redemptions of one code succeeded")
		case s == 200:
			won = i
		case s != 400 || str(bodies[i], "error") != "invalid_grant":
			t.Fatalf("a losing redemption answered %d %v", s, bodies[i])
		}
	}
	if won < 0 {
		t.Fatalf("no redemption succeeded: %v", bodies[0])
	}
	// The losers were reuse: what the winner got is revoked.
	if s, _, _ := r.userinfo(str(bodies[won], "access_token")); s != 401 {
		t.Fatalf("the winner's token survived the reuse: %d", s)
	}
	if s, out := r.refresh(a, str(bodies[won], "refresh_token"), nil); s != 400 {
		t.Fatalf("the winner's refresh token survived the reuse: %d %v", s, out)
	}
}

// TestConcurrentRefreshStrict: with no grace, one of 50 simultaneous
// refreshes wins, and the others are reuse of a spent token, which ends the
// family: no successor chain stays alive, let alone two.
func TestConcurrentRefreshStrict(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *config.Config) { c.OAuth.RefreshGrace = 0 })
	a := r.app(nil)
	tok := r.tokens(a, "openid offline_access")
	statuses, bodies := race(func(int) (int, map[string]any) { return r.refresh(a, str(tok, "refresh_token"), nil) })
	var winners []map[string]any
	for i, s := range statuses {
		if s == 200 {
			winners = append(winners, bodies[i])
		} else if s != 400 || str(bodies[i], "error") != "invalid_grant" {
			t.Fatalf("a losing refresh answered %d %v", s, bodies[i])
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d refreshes succeeded, want exactly 1", len(winners))
	}
	live := 0
	for _, w := range winners {
		if s, _ := r.refresh(a, str(w, "refresh_token"), nil); s == 200 {
			live++
		}
	}
	if live > 1 {
		t.Fatalf("%d live token families", live)
	}
	if live != 0 {
		t.Fatalf("the successor still works although its predecessor was replayed 49 times")
	}
	if s, _, _ := r.userinfo(str(winners[0], "access_token")); s != 401 {
		t.Fatalf("the winner's access token survived the replays: %d", s)
	}
}

// TestConcurrentRefreshGrace: within the grace window, simultaneous
// refreshes all succeed but stay one grant: revoking any token ends them all.
func TestConcurrentRefreshGrace(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *config.Config) { c.OAuth.RefreshGrace = 5 * time.Second })
	a := r.app(nil)
	tok := r.tokens(a, "openid profile offline_access")
	statuses, bodies := race(func(int) (int, map[string]any) { return r.refresh(a, str(tok, "refresh_token"), nil) })
	seen := map[string]bool{}
	for i, s := range statuses {
		if s != 200 {
			t.Fatalf("refresh %d within the grace window: %d %v", i, s, bodies[i])
		}
		rt := str(bodies[i], "refresh_token")
		if rt == "" || seen[rt] {
			t.Fatalf("refresh %d returned a missing or duplicate refresh token", i)
		}
		seen[rt] = true
		if got := r.introspect(a, str(bodies[i], "access_token")); got["active"] != true || got["sub"] != r.userID {
			t.Fatalf("access token %d: %v", i, got)
		}
		if got := r.introspect(a, rt); got["active"] != true {
			t.Fatalf("refresh token %d: %v", i, got)
		}
	}
	// Revoke one sibling: the whole grant ends.
	if s := r.revoke(a, str(bodies[parallel/2], "refresh_token")); s != 200 {
		t.Fatalf("revoke: %d", s)
	}
	for i, b := range bodies {
		if s, _, _ := r.userinfo(str(b, "access_token")); s != 401 {
			t.Fatalf("access token %d survived the revocation of its grant: %d", i, s)
		}
		if got := r.introspect(a, str(b, "refresh_token")); len(got) != 1 || got["active"] != false {
			t.Fatalf("refresh token %d survived the revocation of its grant: %v", i, got)
		}
	}
	if s, _ := r.refresh(a, str(bodies[0], "refresh_token"), nil); s != 400 {
		t.Fatalf("a sibling refreshed after revocation: %d", s)
	}
	if s, _, _ := r.userinfo(str(tok, "access_token")); s != 401 {
		t.Fatalf("the original access token survived: %d", s)
	}

	// After the window, reuse of a spent token is theft again.
	tok = r.tokens(a, "openid offline_access")
	s, next := r.refresh(a, str(tok, "refresh_token"), nil)
	if s != 200 {
		t.Fatalf("refresh: %d %v", s, next)
	}
	r.env.Clock.Advance(6 * time.Second)
	if s, _ := r.refresh(a, str(tok, "refresh_token"), nil); s != 400 {
		t.Fatalf("reuse after the grace window: %d", s)
	}
	if s, _ := r.refresh(a, str(next, "refresh_token"), nil); s != 400 {
		t.Fatalf("the successor survived reuse after the grace window: %d", s)
	}
}
