// Package smstest is a local fake of Twilio's Messages API for tests. It
// accepts POST /2010-04-01/Accounts/{sid}/Messages.json only with the
// expected basic-auth credentials and a form carrying To, From and Body, as
// Twilio does, keeps every accepted message, and records every request that
// did not have that shape so a test can fail on it.
package smstest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Credentials the fake expects unless told otherwise.
const (
	AccountSID = "AC00000000000000000000000000000000"
	AuthToken  = "test-auth-token"
	From       = "+15005550006"
)

// Message is one accepted text. Service is the MessagingServiceSid when
// the sender was given that way instead of From.
type Message struct {
	SID, To, From, Body, Service string
}

// Fake is a running fake provider.
type Fake struct {
	srv *httptest.Server

	mu       sync.Mutex
	msgs     []Message
	taken    []bool
	bad      []string // why each refused request was refused
	failNext int      // answer the next n valid requests with a 503
	refuse   int      // answer the next n valid requests with a 400 (a permanent refusal)
}

// Start runs a fake until the test ends.
func Start(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the base URL to configure as sms.twilio.base_url.
func (f *Fake) URL() string { return f.srv.URL }

// FailNext makes the next n valid requests fail with 503 (retryable).
func (f *Fake) FailNext(n int) { f.mu.Lock(); f.failNext = n; f.mu.Unlock() }

// RefuseNext makes the next n valid requests fail with 400 (permanent).
func (f *Fake) RefuseNext(n int) { f.mu.Lock(); f.refuse = n; f.mu.Unlock() }

// BadRequests lists the requests that did not have Twilio's shape.
func (f *Fake) BadRequests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bad...)
}

// Messages returns every accepted message.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.msgs...)
}

var pathRe = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(status, code int, why string) {
		f.mu.Lock()
		f.bad = append(f.bad, fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, why))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": why, "status": status})
	}
	m := pathRe.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPost || m == nil {
		fail(http.StatusNotFound, 20404, "not Twilio's Messages endpoint")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != AccountSID || pass != AuthToken || m[1] != AccountSID {
		fail(http.StatusUnauthorized, 20003, "authenticate")
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		fail(http.StatusBadRequest, 21000, "content type "+ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, 21000, "form: "+err.Error())
		return
	}
	msg := Message{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body"),
		Service: r.PostForm.Get("MessagingServiceSid")}
	if msg.To == "" || msg.Body == "" || (msg.From == "") == (msg.Service == "") {
		fail(http.StatusBadRequest, 21604, "To, Body and one of From or MessagingServiceSid are required")
		return
	}
	f.mu.Lock()
	switch {
	case f.failNext > 0:
		f.failNext--
		f.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case f.refuse > 0:
		f.refuse--
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})
		return
	}
	msg.SID = fmt.Sprintf("SM%032d", len(f.msgs)+1)
	f.msgs = append(f.msgs, msg)
	f.taken = append(f.taken, false)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": msg.SID, "to": msg.To, "from": msg.From, "body": msg.Body, "status": "queued"})
}

// WaitFor returns the next message to to that WaitFor has not returned yet,
// failing the test after timeout.
func (f *Fake) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		f.mu.Lock()
		for i, m := range f.msgs {
			if m.To == to && !f.taken[i] {
				f.taken[i] = true
				f.mu.Unlock()
				return m
			}
		}
		f.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("smstest: no text to %s within %s (bad requests: %v)", to, timeout, f.BadRequests())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
