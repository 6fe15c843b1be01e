package bapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// hostileRace sends n requests at once and returns their statuses and bodies.
func hostileRace(t *testing.T, env *testserver.Env, n int, req func(i int) hostileReq) []hostileResp {
	t.Helper()
	reqs := make([]hostileReq, n)
	for i := range reqs {
		reqs[i] = req(i)
	}
	out := make([]hostileResp, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = hostileSend(env, reqs[i])
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// hostileOneWinner asserts exactly one 200 and that every other answer is
// form_identifier_exists on param.
func hostileOneWinner(t *testing.T, res []hostileResp, param string) int {
	t.Helper()
	winner := -1
	for i, r := range res {
		if r.status == 200 {
			if winner >= 0 {
				t.Fatalf("two requests succeeded: %s and %s", hostileTrim(res[winner].body), hostileTrim(r.body))
			}
			winner = i
			continue
		}
		hostileWantError(t, fmt.Sprintf("request %d", i), r, 422, "form_identifier_exists", param)
	}
	if winner < 0 {
		t.Fatalf("no request succeeded: %s", hostileTrim(res[0].body))
	}
	return winner
}

func hostileCount(t *testing.T, env *testserver.Env, q url.Values) int {
	t.Helper()
	var out struct {
		TotalCount int `json:"total_count"`
	}
	if status := call(t, env, "GET", "/users/count?"+q.Encode(), nil, &out); status != 200 {
		t.Fatalf("count %s: %d", q.Encode(), status)
	}
	return out.TotalCount
}

func TestHostileRaces(t *testing.T) {
	t.Parallel()
	const n = 20

	t.Run("same email", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		cases := []string{"race@example.com", "Race@Example.com", "RACE@EXAMPLE.COM", " race@example.com "}
		res := hostileRace(t, env, n, func(i int) hostileReq {
			return hostileReq{method: "POST", path: "/users", body: hostileJSON(t, map[string]any{
				"email_address": []string{cases[i%len(cases)]}, "first_name": "Racer " + strconv.Itoa(i)})}
		})
		hostileOneWinner(t, res, "email_address")
		if c := hostileCount(t, env, url.Values{"email_address": {"race@example.com"}}); c != 1 {
			t.Fatalf("%d users have the email", c)
		}
		if c := hostileCount(t, env, nil); c != 1 {
			t.Fatalf("%d users exist; the losers left users behind", c)
		}
	})

	t.Run("same username differing in case", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		res := hostileRace(t, env, n, func(i int) hostileReq {
			name := []byte("racer_x")
			for j := range name {
				if i>>j&1 == 1 && name[j] >= 'a' && name[j] <= 'z' {
					name[j] -= 'a' - 'A'
				}
			}
			return hostileReq{method: "POST", path: "/users", body: hostileJSON(t, map[string]any{
				"email_address": []string{fmt.Sprintf("racer%d@example.com", i)}, "username": string(name)})}
		})
		hostileOneWinner(t, res, "username")
		if c := hostileCount(t, env, url.Values{"username": {"RACER_X"}}); c != 1 {
			t.Fatalf("%d users have the username", c)
		}
		if c := hostileCount(t, env, nil); c != 1 {
			t.Fatalf("%d users exist; the losers left users behind", c)
		}
	})

	t.Run("same external_id", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		res := hostileRace(t, env, n, func(i int) hostileReq {
			return hostileReq{method: "POST", path: "/users", body: hostileJSON(t, map[string]any{
				"email_address": []string{fmt.Sprintf("racer%d@example.com", i)}, "external_id": "ext-race"})}
		})
		hostileOneWinner(t, res, "external_id")
		if c := hostileCount(t, env, url.Values{"external_id": {"ext-race"}}); c != 1 {
			t.Fatalf("%d users have the external id", c)
		}
	})

	t.Run("same email added to two users", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		a := hostileCreate(t, env, map[string]any{"email_address": []string{"a@example.com"}})
		b := hostileCreate(t, env, map[string]any{"email_address": []string{"b@example.com"}})
		res := hostileRace(t, env, n, func(i int) hostileReq {
			uid := a.ID
			if i%2 == 1 {
				uid = b.ID
			}
			addr := "shared@example.com"
			if i%3 == 0 {
				addr = "Shared@Example.COM"
			}
			return hostileReq{method: "POST", path: "/email_addresses", body: hostileJSON(t, map[string]any{
				"user_id": uid, "email_address": addr, "verified": true})}
		})
		hostileOneWinner(t, res, "email_address")
		if c := hostileCount(t, env, url.Values{"email_address": {"shared@example.com"}}); c != 1 {
			t.Fatalf("%d users have the email", c)
		}
		total := 0
		for _, u := range []hostileUser{a, b} {
			var got hostileUser
			call(t, env, "GET", "/users/"+u.ID, nil, &got)
			total += len(got.EmailAddresses)
		}
		if total != 3 {
			t.Fatalf("%d email addresses across both users, want 3", total)
		}
	})

	t.Run("same username set on two users", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		a := hostileCreate(t, env, map[string]any{"email_address": []string{"a@example.com"}})
		b := hostileCreate(t, env, map[string]any{"email_address": []string{"b@example.com"}})
		res := hostileRace(t, env, n, func(i int) hostileReq {
			uid := a.ID
			if i%2 == 1 {
				uid = b.ID
			}
			return hostileReq{method: "PATCH", path: "/users/" + uid, body: hostileJSON(t, map[string]any{
				"username": []string{"taken_name", "Taken_Name"}[i%2]})}
		})
		// The same user may set the name more than once; only one user may hold it.
		owners := map[string]bool{}
		for i, r := range res {
			if r.status == 200 {
				var u hostileUser
				_ = json.Unmarshal(r.body, &u)
				owners[u.ID] = true
				continue
			}
			hostileWantError(t, fmt.Sprintf("request %d", i), r, 422, "form_identifier_exists", "username")
		}
		if len(owners) != 1 {
			t.Fatalf("username given to %d users", len(owners))
		}
		if c := hostileCount(t, env, url.Values{"username": {"taken_name"}}); c != 1 {
			t.Fatalf("%d users have the username", c)
		}
	})
}
