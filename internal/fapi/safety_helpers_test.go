package fapi_test

import "testing"

// emailCodeSignIn starts a sign-in and prepares an email code, returning the code.
func emailCodeSignIn(t *testing.T, h *harness, b *browser, email string) (signInObj, string) {
	t.Helper()
	si := b.startSignIn(t, email)
	b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
	return si, h.code(email)
}
