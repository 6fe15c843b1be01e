package fapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const linkRedirect = appOrigin + "/sso-callback?step=link"

// startLinkSignIn starts a sign-in for email on b and prepares an email link.
func startLinkSignIn(t *testing.T, h *harness, b *browser, email string) (signInObj, string) {
	t.Helper()
	si := b.startSignIn(t, email)
	si = b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_link", "redirect_url", linkRedirect)).ok(t).signIn(t)
	if v := si.FirstFactorVerification; v == nil || v.Status != "unverified" || v.Strategy != "email_link" {
		t.Fatalf("verification after prepare: %+v", si.FirstFactorVerification)
	}
	return si, h.link(email)
}

// expectVerifiedRedirect asserts a 303 to the redirect URL with __clerk_status=verified.
func expectVerifiedRedirect(t *testing.T, r *resp) {
	t.Helper()
	if r.Status != http.StatusSeeOther {
		t.Fatalf("opening the link: %d %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host != appOrigin || loc.Path != "/sso-callback" {
		t.Fatalf("redirect to %q", r.Header.Get("Location"))
	}
	if loc.Query().Get("__clerk_status") != "verified" || loc.Query().Get("step") != "link" {
		t.Fatalf("redirect query %q", loc.RawQuery)
	}
}

// expectLinkPage asserts the HTML page shown for a link that verified nothing.
func expectLinkPage(t *testing.T, r *resp, contains string) {
	t.Helper()
	if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("opening the link: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	if !strings.Contains(string(r.Body), contains) {
		t.Fatalf("link page does not say %q: %s", contains, r.Body)
	}
	if r.Header.Get("Location") != "" {
		t.Fatalf("a failed link redirected to %q", r.Header.Get("Location"))
	}
}

func TestEmailLinkSignInSameBrowser(t *testing.T) {
	h := start(t)
	const email = "linky@example.com"
	h.createUser(email, "link-user-password-1")
	b := h.browser()
	si, link := startLinkSignIn(t, h, b, email)

	expectVerifiedRedirect(t, b.doURL(http.MethodGet, link, nil))
	r := b.get("/client/sign_ins/" + si.ID).ok(t)
	got := r.signIn(t)
	if got.Status != "complete" || got.CreatedSessionID == nil || got.FirstFactorVerification == nil || got.FirstFactorVerification.Status != "verified" {
		t.Fatalf("sign-in after the link: %+v", got)
	}
	if r.Client == nil || len(r.Client.Sessions) != 1 || r.Client.Sessions[0].ID != *got.CreatedSessionID {
		t.Fatalf("client after the link: %s", r.Body)
	}
	b.sessionToken(*got.CreatedSessionID).ok(t)

	// A second opening verifies nothing more.
	expectLinkPage(t, b.doURL(http.MethodGet, link, nil), "no longer valid")
	if c := b.client(t); len(c.Sessions) != 1 {
		t.Fatalf("sessions after reopening: %d", len(c.Sessions))
	}
}

func TestEmailLinkOpenedInAnotherBrowser(t *testing.T) {
	h := start(t)
	const email = "linky@example.com"
	h.createUser(email, "link-user-password-1")
	b := h.browser()
	si, link := startLinkSignIn(t, h, b, email)

	other := h.browser()
	expectLinkPage(t, other.doURL(http.MethodGet, link, nil), "same device")

	got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
	if got.Status != "needs_first_factor" || got.CreatedSessionID != nil {
		t.Fatalf("sign-in after a foreign open: %+v", got)
	}
	v := got.FirstFactorVerification
	if v == nil || v.Status != "failed" || v.Error == nil || v.Error.Code != "verification_client_mismatch" {
		t.Fatalf("first_factor_verification: %+v", v)
	}
	// The link is now dead for the right browser as well.
	expectLinkPage(t, b.doURL(http.MethodGet, link, nil), "no longer valid")
	if c := b.client(t); len(c.Sessions) != 0 {
		t.Fatalf("sessions: %d", len(c.Sessions))
	}
	if c := other.client(t); c != nil && len(c.Sessions) != 0 {
		t.Fatalf("the other browser got a session: %+v", c)
	}

	// A browser that has a client of its own is refused just the same.
	si2, link2 := startLinkSignIn(t, h, b, email)
	third := h.browser()
	third.post("/client/sign_ups", form("email_address", "someone.else@example.com"))
	expectLinkPage(t, third.doURL(http.MethodGet, link2, nil), "same device")
	if got := b.get("/client/sign_ins/" + si2.ID).ok(t).signIn(t); got.Status != "needs_first_factor" {
		t.Fatalf("sign-in completed by a foreign browser: %+v", got)
	}
}

func TestEmailLinkExpired(t *testing.T) {
	h := start(t)
	const email = "late@example.com"
	h.createUser(email, "late-user-password-1")
	b := h.browser()
	si, link := startLinkSignIn(t, h, b, email)
	h.env.Clock.Advance(11 * time.Minute)
	expectLinkPage(t, b.doURL(http.MethodGet, link, nil), "expired")
	got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t)
	if got.Status != "needs_first_factor" || got.FirstFactorVerification == nil || got.FirstFactorVerification.Status != "expired" {
		t.Fatalf("sign-in after an expired link: %+v", got)
	}
}

func TestEmailLinkAnyBrowserWhenAllowed(t *testing.T) {
	h := start(t, func(c *configT) { c.Auth.EmailLink.RequireSameClient = false })
	const email = "phone.opens@example.com"
	u := h.createUser(email, "phone-opens-password-1")
	b := h.browser()
	si, link := startLinkSignIn(t, h, b, email)

	other := h.browser()
	expectVerifiedRedirect(t, other.doURL(http.MethodGet, link, nil))
	r := b.get("/client/sign_ins/" + si.ID).ok(t)
	got := r.signIn(t)
	if got.Status != "complete" || got.CreatedSessionID == nil {
		t.Fatalf("the original sign-in did not complete: %+v", got)
	}
	if r.Client == nil || len(r.Client.Sessions) != 1 || r.Client.Sessions[0].User.ID != u.ID {
		t.Fatalf("original client: %s", r.Body)
	}
	// The session belongs to the browser that asked, not the one that opened.
	if c := other.client(t); c != nil && len(c.Sessions) != 0 {
		t.Fatalf("the opening browser got a session: %+v", c)
	}
	other.sessionToken(*got.CreatedSessionID).fails(t, http.StatusNotFound, "resource_not_found")
	b.sessionToken(*got.CreatedSessionID).ok(t)
}

func TestEmailLinkSignUp(t *testing.T) {
	h := start(t)
	const email = "link.signup@example.com"
	b := h.browser()
	su := b.post("/client/sign_ups", form("email_address", email, "password", "link-signup-pass-1")).ok(t).signUp(t)
	b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_link", "redirect_url", "https://evil.example/x")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	su = b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_link", "redirect_url", linkRedirect)).ok(t).signUp(t)
	if v := su.Verifications.EmailAddress; v == nil || v.Strategy != "email_link" || v.Status != "unverified" {
		t.Fatalf("verification: %+v", su.Verifications.EmailAddress)
	}
	link := h.link(email)

	// Another browser cannot complete it.
	expectLinkPage(t, h.browser().doURL(http.MethodGet, link, nil), "same device")
	got := b.get("/client/sign_ups/" + su.ID).ok(t).signUp(t)
	if got.Status != "missing_requirements" || got.Verifications.EmailAddress == nil ||
		got.Verifications.EmailAddress.Status != "failed" || got.Verifications.EmailAddress.Error == nil ||
		got.Verifications.EmailAddress.Error.Code != "verification_client_mismatch" {
		t.Fatalf("sign-up after a foreign open: %+v %+v", got, got.Verifications.EmailAddress)
	}

	// A fresh link opened in the same browser completes the sign-up.
	b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_link", "redirect_url", linkRedirect)).ok(t)
	link = h.link(email)
	expectVerifiedRedirect(t, b.doURL(http.MethodGet, link, nil))
	r := b.get("/client/sign_ups/" + su.ID).ok(t)
	got = r.signUp(t)
	if got.Status != "complete" || got.CreatedUserID == nil || got.CreatedSessionID == nil {
		t.Fatalf("sign-up after the link: %+v", got)
	}
	if r.Client == nil || len(r.Client.Sessions) != 1 || r.Client.Sessions[0].ID != *got.CreatedSessionID {
		t.Fatalf("client: %s", r.Body)
	}
	var u adminUser
	h.admin(http.MethodGet, "/users/"+*got.CreatedUserID, nil, &u)
	if len(u.EmailAddresses) != 1 || u.EmailAddresses[0].Verification == nil || u.EmailAddresses[0].Verification.Status != "verified" {
		t.Fatalf("admin user: %+v", u)
	}
	expectLinkPage(t, b.doURL(http.MethodGet, link, nil), "no longer valid")
}

func TestEmailLinkRedirectMustBeAllowed(t *testing.T) {
	h := start(t)
	const email = "redir@example.com"
	h.createUser(email, "redirect-user-pass-1")
	b := h.browser()
	si := b.startSignIn(t, email)
	for _, bad := range []string{
		"https://evil.example/cb",
		"http://app.localhost:3001/cb",     // another port
		"https://app.localhost:3000/cb",    // another scheme
		"http://user@app.localhost:3000/x", // userinfo
		"http://app.localhost:3000@evil.example/",
		"http://app.localhost:3000\\@evil.example/",
		"//evil.example/x",
		"/relative/path",
		"javascript:alert(1)",
		"",
	} {
		e := b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_link", "redirect_url", bad)).
			fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
		if e.Meta["param_name"] != "redirect_url" {
			t.Errorf("%q: param_name %v", bad, e.Meta["param_name"])
		}
	}
	b.post("/client/sign_ins", form("identifier", email, "strategy", "email_link", "redirect_url", "https://evil.example/")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
	h.noMail(email, 300*time.Millisecond)
}

func TestEmailLinkBadTokens(t *testing.T) {
	h := start(t)
	b := h.browser()
	for _, tok := range []string{"", "nope", strings.Repeat("a", 43), strings.Repeat("x", 5000)} {
		expectLinkPage(t, b.do(http.MethodGet, "/verify?token="+url.QueryEscape(tok), nil), "no longer valid")
	}
}

// A link that cannot complete its sign-in (here: the browser signed up in
// another tab meanwhile, and the instance allows one session) shows a page
// saying so rather than a JSON error, and leaves the session alone.
func TestEmailLinkWhenAlreadySignedIn(t *testing.T) {
	h := start(t)
	const email = "twotabs@example.com"
	h.createUser(email, "two-tabs-password-1")
	b := h.browser()
	si, link := startLinkSignIn(t, h, b, email)

	su := b.post("/client/sign_ups", form("email_address", "other.tab@example.com", "password", "other-tab-password-1")).ok(t).signUp(t)
	b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "email_code")).ok(t)
	su = b.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "email_code", "code", h.code("other.tab@example.com"))).ok(t).signUp(t)
	if su.Status != "complete" {
		t.Fatalf("sign-up: %+v", su)
	}

	expectLinkPage(t, b.doURL(http.MethodGet, link, nil), "already signed in")
	if got := b.get("/client/sign_ins/" + si.ID).ok(t).signIn(t); got.Status == "complete" {
		t.Fatalf("the sign-in completed: %+v", got)
	}
	if c := b.client(t); len(c.Sessions) != 1 || c.Sessions[0].ID != *su.CreatedSessionID {
		t.Fatalf("sessions: %+v", c.Sessions)
	}
}
