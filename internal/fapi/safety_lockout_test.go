package fapi_test

import (
	"net/http"
	"testing"
	"time"
)

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
