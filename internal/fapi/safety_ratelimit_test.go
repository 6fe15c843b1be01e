package fapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSignInRateLimit(t *testing.T) {
	h := start(t, func(c *configT) { c.Auth.RateLimits.SignInAttemptsPerMinute = 3 })
	h.createUser("busy@example.com", "busy-user-password-1")
	for i := 0; i < 3; i++ {
		h.browser().post("/client/sign_ins", form("identifier", "busy@example.com")).ok(t)
	}
	// X-Forwarded-For is not trusted, so a forged one does not reset the count.
	spoof := h.browser()
	req, _ := http.NewRequest(http.MethodPost, h.env.PublicURL+"/v1/client/sign_ins", strings.NewReader("identifier=busy%40example.com"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Real-Ip", "203.0.113.7")
	res, err := spoof.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For got %d", res.StatusCode)
	}
	e := h.browser().post("/client/sign_ins", form("identifier", "busy@example.com")).
		fails(t, http.StatusTooManyRequests, "too_many_requests")
	if secs, _ := e.Meta["retry_after_seconds"].(float64); secs < 1 || secs > 60 {
		t.Errorf("retry_after_seconds = %v", e.Meta["retry_after_seconds"])
	}
	// Password attempts count against the same budget.
	b := h.browser()
	h.env.Clock.Advance(time.Minute)
	si := b.startSignIn(t, "busy@example.com")
	for i := 0; i < 2; i++ {
		b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "wrong")).
			fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
	}
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "busy-user-password-1")).
		fails(t, http.StatusTooManyRequests, "too_many_requests")
	// Sign-ups have a budget of the same size.
	for i := 0; i < 3; i++ {
		h.browser().post("/client/sign_ups", form("email_address", fmt.Sprintf("x%d@example.com", i))).ok(t)
	}
	h.browser().post("/client/sign_ups", form("email_address", "x@example.com")).fails(t, http.StatusTooManyRequests, "too_many_requests")
	h.env.Clock.Advance(time.Minute)
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "busy-user-password-1")).ok(t)
}

func TestEmailRateLimit(t *testing.T) {
	h := start(t, func(c *configT) { c.Auth.RateLimits.EmailsPerMinute = 2 })
	h.createUser("mailbox@example.com", "mailbox-password-1")
	b := h.browser()
	si := b.startSignIn(t, "mailbox@example.com")
	for i := 0; i < 2; i++ {
		b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	}
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).
		fails(t, http.StatusTooManyRequests, "too_many_requests")
	h.code("mailbox@example.com")
	h.code("mailbox@example.com")
	time.Sleep(300 * time.Millisecond)
	if n := len(h.sink.Messages()); n != 2 {
		t.Fatalf("%d emails sent, want 2", n)
	}
}
