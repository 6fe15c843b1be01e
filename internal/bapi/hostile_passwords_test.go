package bapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

// hostileQueueSlack is how many queued hashes a request that never hashes
// may see complete while it is served.
const hostileQueueSlack = 8

type hostilePressure struct {
	mu       sync.Mutex
	finished []time.Time
	quit     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
}

// hostileHashPressure runs workers that each send wrong passwords to
// verify_password in a loop, so that many hashes are always waiting.
func hostileHashPressure(t *testing.T, env *testserver.Env, userID string, workers int) *hostilePressure {
	p := &hostilePressure{quit: make(chan struct{})}
	for w := range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-p.quit:
					return
				default:
				}
				r, err := hostileSend(env, hostileReq{method: "POST", path: "/users/" + userID + "/verify_password",
					body: []byte(fmt.Sprintf(`{"password":"wrong-horse-battery-staple-%d-%d"}`, w, i))})
				if err != nil || r.status != 422 {
					t.Errorf("queued hash: %v %d %s", err, r.status, hostileTrim(r.body))
					return
				}
				p.mu.Lock()
				p.finished = append(p.finished, time.Now())
				p.mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the queue form
	return p
}

func (p *hostilePressure) completedBetween(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, at := range p.finished {
		if at.After(from) && at.Before(to) {
			n++
		}
	}
	return n
}

func (p *hostilePressure) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

func TestHostilePasswords(t *testing.T) {
	t.Parallel()
	// One hash at a time, so a queue of hashes is easy to build and to see.
	env := testserver.Start(t, func(c *config.Config) { c.Users.PasswordHashConcurrency = 1 })
	const good = "correct-horse-battery-staple-9"
	victim := hostileCreate(t, env, map[string]any{"email_address": []string{"victim@example.com"}, "password": good})
	before := hostileSnapshot(t, env, victim.ID)
	// Keep the pool's queue full of wrong-password checks: a request that
	// hashes must wait for the queue ahead of it, one that does not need not.
	pressure := hostileHashPressure(t, env, victim.ID, 2*hostileQueueSlack)
	defer pressure.stop()

	huge := strings.Repeat("p", 900<<10)
	cases := []struct {
		name, method, path string
		body               map[string]any
		code               string
	}{
		{"create 900KB", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": huge}, "form_password_length_too_long"},
		{"create 900KB skip checks", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": huge, "skip_password_checks": true}, "form_password_length_too_long"},
		{"create 257 bytes", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": strings.Repeat("x", 257)}, "form_password_length_too_long"},
		{"create 129 two-byte chars", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": strings.Repeat("é", 129)}, "form_password_length_too_long"},
		{"update 900KB", "PATCH", "/users/" + victim.ID, map[string]any{"password": huge}, "form_password_length_too_long"},
		{"update 900KB skip checks", "PATCH", "/users/" + victim.ID, map[string]any{"password": huge, "skip_password_checks": true, "sign_out_of_other_sessions": true}, "form_password_length_too_long"},
		{"verify 900KB", "POST", "/users/" + victim.ID + "/verify_password", map[string]any{"password": huge}, "password_incorrect"},
		{"verify 900KB, correct prefix", "POST", "/users/" + victim.ID + "/verify_password", map[string]any{"password": good + huge}, "password_incorrect"},
		{"import 900KB digest", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password_hasher": "bcrypt", "password_digest": "$2a$10$" + huge}, "form_password_digest_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := hostileJSON(t, tc.body)
			if len(body) >= 1<<20 {
				t.Fatalf("body of %d bytes is over the limit", len(body))
			}
			param := "password"
			if tc.code == "form_password_digest_invalid" {
				param = "password_digest"
			}
			sent := time.Now()
			r := hostileDo(t, env, hostileReq{method: tc.method, path: tc.path, body: body})
			ahead := pressure.completedBetween(sent, time.Now())
			hostileWantError(t, tc.name, r, 422, tc.code, param)
			t.Logf("answered in %v, while %d queued hashes completed", r.dur, ahead)
			if ahead > hostileQueueSlack {
				t.Errorf("%s waited for %d queued hashes (%v): was it hashed?", tc.name, ahead, r.dur)
			}
			before = hostileUnchanged(t, env, tc.name, before, victim.ID)
		})
	}

	t.Run("the queue check can fail", func(t *testing.T) {
		// The same measurement on a request that is hashed: it must wait.
		sent := time.Now()
		r := hostileDo(t, env, hostileReq{method: "POST", path: "/users/" + victim.ID + "/verify_password",
			body: []byte(`{"password":"` + strings.Repeat("q", 256) + `"}`)})
		ahead := pressure.completedBetween(sent, time.Now())
		t.Logf("answered in %v, while %d queued hashes completed", r.dur, ahead)
		if r.status != 422 || ahead <= hostileQueueSlack {
			t.Fatalf("a 256-byte password (hashed) answered %d after waiting for only %d queued hashes", r.status, ahead)
		}
	})
	pressure.stop()

	t.Run("the right password still verifies", func(t *testing.T) {
		r := hostileDo(t, env, hostileReq{method: "POST", path: "/users/" + victim.ID + "/verify_password",
			body: hostileJSON(t, map[string]string{"password": good})})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, hostileTrim(r.body))
		}
	})
}
