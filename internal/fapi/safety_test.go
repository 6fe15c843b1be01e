package fapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// shapeOf is the sorted set of JSON key paths of a body.
func shapeOf(t *testing.T, raw []byte) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, k := range keysOf(t, raw) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func strategiesOf(si signInObj) []string {
	var out []string
	for _, f := range si.SupportedFirstFactors {
		out = append(out, f.Strategy)
	}
	return out
}

// errorBody is an error response without its per-request trace id.
func errorBody(t *testing.T, r *resp) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "clerk_trace_id")
	b, _ := json.Marshal(m)
	return fmt.Sprintf("%d %s", r.Status, b)
}

// A sign-in for an address that has no account looks exactly like one for
// an address that has: same status, same keys, same factors; no email is
// sent for it; wrong passwords and codes fail the same way.
func TestNoUserEnumeration(t *testing.T) {
	h := start(t)
	known := h.createUser("known@example.com", "known-user-password-1", "Known", "Person")
	kb, ub := h.browser(), h.browser()

	kr := kb.post("/client/sign_ins", form("identifier", "known@example.com")).ok(t)
	ur := ub.post("/client/sign_ins", form("identifier", "ghost@example.com")).ok(t)
	ks, us := kr.signIn(t), ur.signIn(t)
	if ks.Status != "needs_first_factor" || us.Status != ks.Status {
		t.Fatalf("statuses %q / %q", ks.Status, us.Status)
	}
	if !reflect.DeepEqual(shapeOf(t, kr.Body), shapeOf(t, ur.Body)) {
		t.Fatalf("shapes differ:\nknown   %v\nunknown %v", shapeOf(t, kr.Body), shapeOf(t, ur.Body))
	}
	if !reflect.DeepEqual(strategiesOf(ks), strategiesOf(us)) {
		t.Fatalf("factors differ: %v / %v", strategiesOf(ks), strategiesOf(us))
	}
	for _, si := range []signInObj{ks, us} {
		if si.UserData == nil || si.UserData.FirstName != nil || si.UserData.LastName != nil {
			t.Fatalf("user_data before completion: %+v", si.UserData)
		}
		for _, f := range si.SupportedFirstFactors {
			if f.Strategy != "password" && (f.EmailAddressID == "" || !strings.HasPrefix(f.EmailAddressID, "idn_")) {
				t.Errorf("factor %+v has no plausible email_address_id", f)
			}
		}
	}

	// The address handles are stable per identifier for both, and are not
	// time-stamped identification ids (which would date a real account).
	ks2, us2 := h.browser().startSignIn(t, "known@example.com"), h.browser().startSignIn(t, "ghost@example.com")
	for i := range ks.SupportedFirstFactors {
		if ks.SupportedFirstFactors[i].EmailAddressID != ks2.SupportedFirstFactors[i].EmailAddressID ||
			us.SupportedFirstFactors[i].EmailAddressID != us2.SupportedFirstFactors[i].EmailAddressID {
			t.Fatalf("address ids change between sign-ins: %+v %+v / %+v %+v", ks.SupportedFirstFactors, ks2.SupportedFirstFactors,
				us.SupportedFirstFactors, us2.SupportedFirstFactors)
		}
		if id := ks.SupportedFirstFactors[i].EmailAddressID; id != "" && id == known.EmailAddresses[0].ID {
			t.Fatalf("the real identification id %q is shown before the first factor", id)
		}
	}

	// Wrong passwords fail the same way.
	kw := kb.post("/client/sign_ins/"+ks.ID+"/attempt_first_factor", form("strategy", "password", "password", "not-the-password"))
	uw := ub.post("/client/sign_ins/"+us.ID+"/attempt_first_factor", form("strategy", "password", "password", "not-the-password"))
	kw.fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
	if errorBody(t, kw) != errorBody(t, uw) {
		t.Fatalf("wrong-password answers differ:\n%s\n%s", errorBody(t, kw), errorBody(t, uw))
	}

	// Preparing a code: the same answer, but only the real address gets mail.
	ur = ub.post("/client/sign_ins/"+us.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	kr = kb.post("/client/sign_ins/"+ks.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	if !reflect.DeepEqual(shapeOf(t, kr.Body), shapeOf(t, ur.Body)) {
		t.Fatalf("prepare shapes differ:\nknown   %v\nunknown %v", shapeOf(t, kr.Body), shapeOf(t, ur.Body))
	}
	if v := ur.signIn(t).FirstFactorVerification; v == nil || v.Status != "unverified" || v.Strategy != "email_code" {
		t.Fatalf("unknown verification: %+v", v)
	}
	h.code("known@example.com") // the real one arrives (it was queued after the ghost's would have been)
	h.noMail("ghost@example.com", 1500*time.Millisecond)
	if n := len(h.sink.Messages()); n != 1 {
		t.Fatalf("%d messages sent, want 1", n)
	}

	// Wrong codes fail the same way; no code ever completes the ghost.
	kw = kb.post("/client/sign_ins/"+ks.ID+"/attempt_first_factor", form("strategy", "email_code", "code", "000000"))
	uw = ub.post("/client/sign_ins/"+us.ID+"/attempt_first_factor", form("strategy", "email_code", "code", "000000"))
	if kw.code() == "form_code_incorrect" && errorBody(t, kw) != errorBody(t, uw) {
		t.Fatalf("wrong-code answers differ:\n%s\n%s", errorBody(t, kw), errorBody(t, uw))
	}
	gs := ub.get("/client/sign_ins/" + us.ID).ok(t).signIn(t)
	if gs.Status != "needs_first_factor" || gs.UserData == nil || gs.UserData.FirstName != nil {
		t.Fatalf("ghost sign-in: %+v", gs)
	}

	// Password resets: the same answer, and no mail for the ghost.
	ub2 := h.browser()
	usr := ub2.startSignIn(t, "ghost@example.com")
	ub2.post("/client/sign_ins/"+usr.ID+"/prepare_first_factor", form("strategy", "reset_password_email_code")).ok(t)
	h.noMail("ghost@example.com", 500*time.Millisecond)

	// Email links likewise.
	ub3 := h.browser()
	us3 := ub3.startSignIn(t, "ghost@example.com")
	ub3.post("/client/sign_ins/"+us3.ID+"/prepare_first_factor", form("strategy", "email_link", "redirect_url", appOrigin+"/")).ok(t)
	h.noMail("ghost@example.com", 500*time.Millisecond)
}

// Usernames and phone numbers do not reveal accounts either: the factors
// offered depend only on the kind of identifier typed.
func TestNoUserEnumerationByUsernameOrPhone(t *testing.T) {
	h := start(t)
	var u adminUser
	st := h.admin(http.MethodPost, "/users", map[string]any{"email_address": []string{"someone@example.com"},
		"username": "someone", "phone_number": []string{"+15555550123"}, "password": "someone-password-1"}, &u)
	if st != http.StatusOK {
		t.Fatalf("create user: %d", st)
	}
	for _, pair := range [][2]string{{"someone", "nobody_here"}, {"+15555550123", "+15555550999"}} {
		kr := h.browser().post("/client/sign_ins", form("identifier", pair[0])).ok(t)
		ur := h.browser().post("/client/sign_ins", form("identifier", pair[1])).ok(t)
		ks, us := kr.signIn(t), ur.signIn(t)
		if ks.Status != us.Status || !reflect.DeepEqual(strategiesOf(ks), strategiesOf(us)) {
			t.Errorf("%s vs %s: %q %v / %q %v", pair[0], pair[1], ks.Status, strategiesOf(ks), us.Status, strategiesOf(us))
		}
		if !reflect.DeepEqual(shapeOf(t, kr.Body), shapeOf(t, ur.Body)) {
			t.Errorf("%s vs %s: shapes differ:\n%v\n%v", pair[0], pair[1], shapeOf(t, kr.Body), shapeOf(t, ur.Body))
		}
		for i, f := range ks.SupportedFirstFactors {
			if f.SafeIdentifier != "" && !strings.Contains(f.SafeIdentifier, "***@") {
				t.Errorf("%s: factor %+v shows an unmasked address", pair[0], f)
			}
			if i < len(us.SupportedFirstFactors) && (f.SafeIdentifier == "") != (us.SupportedFirstFactors[i].SafeIdentifier == "") {
				t.Errorf("%s: safe identifiers differ: %+v / %+v", pair[0], f, us.SupportedFirstFactors[i])
			}
		}
	}
	// A username sign-in's code goes to the user's address.
	b := h.browser()
	si := b.startSignIn(t, "someone")
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	si = b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", h.code("someone@example.com"))).ok(t).signIn(t)
	if si.Status != "complete" {
		t.Fatalf("username + email code: %+v", si)
	}
}

func TestLockout(t *testing.T) {
	h := start(t, func(c *configT) { c.Users.LockoutMaxAttempts = 3 })
	u := h.createUser("locked@example.com", "the-right-password-1")
	b := h.browser()
	si := b.startSignIn(t, "locked@example.com")
	attempt := func(pw string) *resp {
		return b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", pw))
	}
	attempt("wrong-1").fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
	attempt("wrong-2").fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
	e := attempt("wrong-3").fails(t, http.StatusForbidden, "user_locked")
	if secs, _ := e.Meta["lockout_expires_in_seconds"].(float64); secs < 3590 || secs > 3600 {
		t.Fatalf("lockout_expires_in_seconds = %v", e.Meta["lockout_expires_in_seconds"])
	}
	attempt("the-right-password-1").fails(t, http.StatusForbidden, "user_locked")
	attempt("wrong-4").fails(t, http.StatusForbidden, "user_locked")
	// An email code does not get around the lock.
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", h.code("locked@example.com"))).
		fails(t, http.StatusForbidden, "user_locked")
	// Nor does an email link: its page says why.
	lb := h.browser()
	_, link := startLinkSignIn(t, h, lb, "locked@example.com")
	expectLinkPage(t, lb.doURL(http.MethodGet, link, nil), "locked")
	var au adminUser
	h.admin(http.MethodGet, "/users/"+u.ID, nil, &au)
	if !au.Locked {
		t.Errorf("admin API does not show the user locked")
	}

	h.env.Clock.Advance(30 * time.Minute)
	e = h.browser().post("/client/sign_ins", form("identifier", "locked@example.com", "strategy", "password", "password", "the-right-password-1")).
		fails(t, http.StatusForbidden, "user_locked")
	if secs, _ := e.Meta["lockout_expires_in_seconds"].(float64); secs < 1790 || secs > 1800 {
		t.Fatalf("lockout_expires_in_seconds after 30 min = %v", e.Meta["lockout_expires_in_seconds"])
	}

	h.env.Clock.Advance(31 * time.Minute)
	si2 := b.post("/client/sign_ins", form("identifier", "locked@example.com")).ok(t).signIn(t)
	b.post("/client/sign_ins/"+si2.ID+"/attempt_first_factor", form("strategy", "password", "password", "the-right-password-1")).ok(t)
	// A success resets the count: two more failures do not lock.
	o := h.browser()
	osi := o.startSignIn(t, "locked@example.com")
	for i := 0; i < 2; i++ {
		o.post("/client/sign_ins/"+osi.ID+"/attempt_first_factor", form("strategy", "password", "password", "wrong")).
			fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
	}
	o.post("/client/sign_ins/"+osi.ID+"/attempt_first_factor", form("strategy", "password", "password", "the-right-password-1")).ok(t)
}

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

// emailCodeSignIn starts a sign-in and prepares an email code, returning the code.
func emailCodeSignIn(t *testing.T, h *harness, b *browser, email string) (signInObj, string) {
	t.Helper()
	si := b.startSignIn(t, email)
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	return si, h.code(email)
}

func wrongCode(right string) string {
	if right == "000000" {
		return "111111"
	}
	return "000000"
}

func TestCodeAttemptsExhausted(t *testing.T) {
	h := start(t)
	h.createUser("guesser@example.com", "guesser-password-1")
	b := h.browser()
	si, code := emailCodeSignIn(t, h, b, "guesser@example.com")
	attempt := func(c string) *resp {
		return b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", c))
	}
	for i := 0; i < 4; i++ {
		attempt(wrongCode(code)).fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	attempt(wrongCode(code)).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	attempt(code).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
	if v := got.FirstFactorVerification; got.Status != "needs_first_factor" || v == nil || v.Status != "failed" || v.Attempts != 5 {
		t.Fatalf("sign-in: %+v %+v", got, v)
	}
	// A new code works.
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	attempt(h.code("guesser@example.com")).ok(t)

	// The same holds for sign-up codes.
	s := h.browser()
	su := s.post("/client/sign_ups", form("email_address", "newbie@example.com", "password", "newbie-password-1")).ok(t).signUp(t)
	s.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t)
	sc := h.code("newbie@example.com")
	for i := 0; i < 4; i++ {
		s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", wrongCode(sc))).
			fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
	}
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", wrongCode(sc))).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", sc)).
		fails(t, http.StatusUnprocessableEntity, "verification_failed")
}

func TestCodeExpired(t *testing.T) {
	h := start(t)
	h.createUser("slow@example.com", "slow-user-password-1")
	b := h.browser()
	si, code := emailCodeSignIn(t, h, b, "slow@example.com")
	h.env.Clock.Advance(11 * time.Minute)
	b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).
		fails(t, http.StatusUnprocessableEntity, "verification_expired")
	got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
	if v := got.FirstFactorVerification; v == nil || v.Status != "expired" {
		t.Fatalf("verification: %+v", v)
	}

	s := h.browser()
	su := s.post("/client/sign_ups", form("email_address", "slow.signup@example.com", "password", "slow-signup-pass-1")).ok(t).signUp(t)
	s.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t)
	sc := h.code("slow.signup@example.com")
	h.env.Clock.Advance(11 * time.Minute)
	s.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", sc)).
		fails(t, http.StatusUnprocessableEntity, "verification_expired")
}

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

func TestCORS(t *testing.T) {
	h := start(t)
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, h.env.PublicURL+"/v1/client/sign_ins", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := pre(appOrigin)
	if res.StatusCode/100 != 2 || res.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight from the app: %d %v", res.StatusCode, res.Header)
	}
	if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("preflight lacks Vary: Origin")
	}
	res = pre("https://evil.example")
	if res.Header.Get("Access-Control-Allow-Origin") != "" || res.StatusCode/100 == 2 {
		t.Fatalf("preflight from evil: %d %v", res.StatusCode, res.Header)
	}

	app := h.browser()
	app.origin = appOrigin
	r := app.post("/client/sign_ins", form("identifier", "who@example.com")).ok(t)
	if r.Header.Get("Access-Control-Allow-Origin") != appOrigin || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("POST from the app: %v", r.Header)
	}

	for _, origin := range []string{"https://evil.example", "null", "http://app.localhost:3000.evil.example", "http://app.localhost"} {
		evil := h.browser()
		evil.origin = origin
		r = evil.post("/client/sign_ins", form("identifier", "who@example.com"))
		r.fails(t, http.StatusForbidden, "origin_invalid")
		if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s: %v", origin, r.Header)
		}
		if c := evil.client(t); c != nil {
			t.Fatalf("%s created a client: %+v", origin, c)
		}
	}
	// The evil origin cannot act on an existing browser's client either.
	h.createUser("victim@example.com", "victim-password-1")
	victim := h.browser()
	sid := *victim.signInPassword(t, "victim@example.com", "victim-password-1").CreatedSessionID
	victim.origin = "https://evil.example"
	victim.post("/client/sessions/"+sid+"/end", nil).fails(t, http.StatusForbidden, "origin_invalid")
	victim.do(http.MethodDelete, "/client", nil).fails(t, http.StatusForbidden, "origin_invalid")
	g := victim.get("/client")
	if g.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a GET from evil is readable: %v", g.Header)
	}
	victim.origin = ""
	victim.sessionToken(sid).ok(t)
}

func TestHostileInput(t *testing.T) {
	h := start(t)
	h.createUser("target@example.com", "target-password-1")
	b := h.browser()

	t.Run("unknown fields", func(t *testing.T) {
		e := b.post("/client/sign_ins", form("identifier", "target@example.com", "admin", "true")).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		if e.Meta["param_name"] != "admin" {
			t.Errorf("param_name = %v", e.Meta["param_name"])
		}
		b.post("/client/sign_ups", form("email_address", "a@example.com", "public_metadata", `{"role":"admin"}`)).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		b.post("/client/sign_ups", form("email_address", "a@example.com", "private_metadata", `{}`)).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		si := b.startSignIn(t, "target@example.com")
		b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "x", "user_id", "user_1")).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		// Client metadata fields are tolerated.
		b.post("/client/sign_ins", form("identifier", "target@example.com", "_clerk_js_version", "5.0.0")).ok(t)
	})

	t.Run("huge password is never hashed", func(t *testing.T) {
		huge := strings.Repeat("p", 900<<10)
		for _, who := range []string{"target@example.com", "nobody@example.com"} {
			begin := time.Now()
			h.browser().post("/client/sign_ins", form("identifier", who, "strategy", "password", "password", huge)).
				fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
			if d := time.Since(begin); d > 2*time.Second {
				t.Errorf("%s: a 900 KB password took %v", who, d)
			}
		}
		h.browser().post("/client/sign_ups", form("email_address", "big@example.com", "password", huge)).
			fails(t, http.StatusUnprocessableEntity, "form_password_length_too_long")
		// A huge password does not count towards a lockout.
		h.browser().signInPassword(t, "target@example.com", "target-password-1")
	})

	t.Run("malformed identifiers", func(t *testing.T) {
		for _, id := range []string{"foo@", "@example.com", "a@b", "two@@example.com", "<x>@example.com", "Name <n@example.com>",
			"+12", "+1abc55555555", "a\x00b@example.com", "bad user", strings.Repeat("a", 300) + "@example.com",
			strings.Repeat("u", 900<<10), strings.Repeat("a", 900<<10) + "@example.com"} {
			r := h.browser().post("/client/sign_ins", form("identifier", id))
			if r.Status != http.StatusUnprocessableEntity || len(r.Errors) == 0 || r.Errors[0].Meta["param_name"] != "identifier" {
				t.Errorf("identifier %q: %d %s", id, r.Status, r.Body)
			}
		}
	})

	t.Run("bodies", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, h.env.PublicURL+"/v1/client/sign_ins", strings.NewReader(strings.Repeat("a", 2<<20)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MB body: %d", res.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodPost, h.env.PublicURL+"/v1/client/sign_ins", strings.NewReader("identifier=%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("bad form encoding: %d", res.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodPost, h.env.PublicURL+"/v1/client/sign_ins", strings.NewReader("<xml/>"))
		req.Header.Set("Content-Type", "text/xml")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("xml body: %d", res.StatusCode)
		}
	})

	t.Run("strategies and codes", func(t *testing.T) {
		c := h.browser()
		si := c.startSignIn(t, "target@example.com")
		c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "password")).
			fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "oauth_google", "code", "1")).
			fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
		c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code", "email_address_id", "idn_someoneelse")).
			fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password")).
			fails(t, http.StatusUnprocessableEntity, "form_param_missing")
		c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
		code := h.code("target@example.com")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", strings.Repeat(code, 1000))).
			fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
		// Another browser cannot use this sign-in, not even with the right code.
		h.browser().post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).
			fails(t, http.StatusNotFound, "resource_not_found")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).ok(t)
	})

	t.Run("forged client tokens", func(t *testing.T) {
		for _, tok := range []string{"x", strings.Repeat("A", 43), strings.Repeat("A", 5000), "Bearer Bearer", "' OR 1=1 --"} {
			app := h.nativeApp()
			app.token = tok
			if c := app.client(t); c != nil {
				t.Fatalf("token %q resolved to a client", tok)
			}
		}
	})
}
