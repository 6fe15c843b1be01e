package fapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

// race sends n copies of one request at once and returns the answers.
func race(n int, send func() *resp) []*resp {
	out := make([]*resp, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			out[i] = send()
		}(i)
	}
	close(gate)
	wg.Wait()
	return out
}

// expectOneWinner asserts exactly one 200 with a complete sign-in and that
// the client ends up with exactly one session.
func expectOneWinner(t *testing.T, h *harness, b *browser, rs []*resp) {
	t.Helper()
	wins := 0
	for _, r := range rs {
		switch {
		case r.Status == http.StatusOK:
			if si := r.signIn(t); si.Status != "complete" {
				t.Fatalf("200 without completion: %+v", si)
			}
			wins++
		case r.Status >= 400 && r.Status < 500:
		default:
			t.Fatalf("unexpected %d %s", r.Status, r.Body)
		}
	}
	if wins != 1 {
		t.Fatalf("%d requests succeeded, want exactly 1", wins)
	}
	c := b.client(t)
	all, err := h.env.DB.SessionsByClient(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || len(c.Sessions) != 1 {
		t.Fatalf("%d sessions stored, %d listed; want 1", len(all), len(c.Sessions))
	}
}

func TestConcurrentCodeAttempts(t *testing.T) {
	h := start(t)
	h.createUser("racer@example.com", "racer-password-1")
	b := h.browser()
	si, code := emailCodeSignIn(t, h, b, "racer@example.com")
	expectOneWinner(t, h, b, race(10, func() *resp {
		return b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code))
	}))
}

func TestConcurrentPasswordAttempts(t *testing.T) {
	h := start(t)
	h.createUser("racer@example.com", "racer-password-1")
	b := h.browser()
	si := b.startSignIn(t, "racer@example.com")
	expectOneWinner(t, h, b, race(10, func() *resp {
		return b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "racer-password-1"))
	}))
}

func TestConcurrentLinkOpens(t *testing.T) {
	h := start(t)
	h.createUser("racer@example.com", "racer-password-1")
	b := h.browser()
	_, link := startLinkSignIn(t, h, b, "racer@example.com")
	rs := race(10, func() *resp { return b.doURL(http.MethodGet, link, nil) })
	verified := 0
	for _, r := range rs {
		if r.Status == http.StatusSeeOther {
			verified++
		} else if r.Status != http.StatusBadRequest {
			t.Fatalf("unexpected %d %s", r.Status, r.Body)
		}
	}
	if verified != 1 {
		t.Fatalf("%d opens verified, want 1", verified)
	}
	all, err := h.env.DB.SessionsByClient(context.Background(), b.client(t).ID)
	if err != nil || len(all) != 1 {
		t.Fatalf("%d sessions (%v), want 1", len(all), err)
	}
}

// A double-submitted sign-up code creates one user.
func TestConcurrentSignUpCodeAttempts(t *testing.T) {
	h := start(t)
	b := h.browser()
	su := b.post("/client/sign_ups", form("email_address", "double@example.com", "password", "double-submit-pass-1")).ok(t).signUp(t)
	b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t)
	code := h.code("double@example.com")
	rs := race(10, func() *resp {
		return b.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", code))
	})
	wins := 0
	for _, r := range rs {
		if r.Status == http.StatusOK {
			wins++
		} else if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("unexpected %d %s", r.Status, r.Body)
		}
	}
	var list []adminUser
	h.admin(http.MethodGet, "/users?email_address=double@example.com", nil, &list)
	if wins != 1 || len(list) != 1 {
		t.Fatalf("%d wins, %d users; want 1 and 1", wins, len(list))
	}
	all, err := h.env.DB.SessionsByClient(context.Background(), b.client(t).ID)
	if err != nil || len(all) != 1 {
		t.Fatalf("%d sessions (%v), want 1", len(all), err)
	}
}

// Two tabs of one browser complete sign-ins for two users at the same
// moment: in single-session mode only one session results.
func TestConcurrentSignInsSingleSession(t *testing.T) {
	h := start(t)
	h.createUser("one@example.com", "first-user-pass-1")
	h.createUser("two@example.com", "second-user-pass-2")
	b := h.browser()
	s1, s2 := b.startSignIn(t, "one@example.com"), b.startSignIn(t, "two@example.com")
	var mu sync.Mutex
	i := 0
	rs := race(2, func() *resp {
		mu.Lock()
		i++
		mine := i
		mu.Unlock()
		if mine == 1 {
			return b.post("/client/sign_ins/"+s1.ID+"/attempt_first_factor", form("strategy", "password", "password", "first-user-pass-1"))
		}
		return b.post("/client/sign_ins/"+s2.ID+"/attempt_first_factor", form("strategy", "password", "password", "second-user-pass-2"))
	})
	ok, exists := 0, 0
	for _, r := range rs {
		switch {
		case r.Status == http.StatusOK:
			ok++
		case r.code() == "session_exists":
			exists++
		default:
			t.Fatalf("unexpected %d %s", r.Status, r.Body)
		}
	}
	all, err := h.env.DB.SessionsByClient(context.Background(), b.client(t).ID)
	if ok != 1 || exists != 1 || err != nil || len(all) != 1 {
		t.Fatalf("ok=%d exists=%d sessions=%d (%v)", ok, exists, len(all), err)
	}
}
