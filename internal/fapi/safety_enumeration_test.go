package fapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
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
