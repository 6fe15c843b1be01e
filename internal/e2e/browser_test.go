package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/internal/config"
)

const (
	password    = "correct-horse-battery-9"
	newPassword = "tr0ub4dor-and-3-more"
)

// The app's Sign up button → hosted /sign-up → the emailed code → back in
// the app signed in; the app's server accepts the session token; the app's
// Sign out button signs out.
func TestSignUpWithEmailCode(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	p := newPage(t)
	if st := p.appHome(s); st != "Signed out" {
		t.Fatalf("app status %q, want Signed out", st)
	}
	p.do(chromedp.Click(chromedp.ID("sign-up")))
	p.waitPage(s.lk.PublicURL, "/sign-up")
	p.checkA11y("sign-up")
	if got := eval[string](p, `new URLSearchParams(location.search).get("redirect_url")`); got != s.app+"/" {
		t.Fatalf("the sign-up page carries redirect_url %q, want %q", got, s.app+"/")
	}
	const email = "new.person@example.com"
	p.fill("first_name", "Ada")
	p.fill("email_address", email)
	p.fill("password", password)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-up/verify")
	p.checkA11y("sign-up verify")
	if lead := p.text("p.lead"); !strings.Contains(lead, email) {
		t.Errorf("the verify page says %q, want it to name %s", lead, email)
	}
	p.fill("code", s.code(email, "verification code"))
	p.press("Verify and continue")

	id, shown := p.signedInUser(s)
	if shown != email {
		t.Errorf("app shows %q, want %s", shown, email)
	}
	u, err := s.lk.Server.Users.GetUser(context.Background(), id)
	if err != nil || u.FirstName == nil || *u.FirstName != "Ada" {
		t.Fatalf("user %s after sign-up: %+v, %v", id, u, err)
	}
	if got := p.protectedUser(s); got != id {
		t.Fatalf("/protected shows %q, want %s", got, id)
	}

	p.appHome(s)
	p.signOutFromApp(s)
	if got := p.protectedUser(s); got != "" {
		t.Fatalf("/protected still shows %s after signing out", got)
	}
	if st := p.appHome(s); st != "Signed out" {
		t.Fatalf("app status after a reload %q, want Signed out", st)
	}
}

// The app's Sign in button → identifier → password → back in the app.
func TestSignInWithPassword(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "pat@example.com"
	want := s.createUser(email, password)
	p := newPage(t)
	if id := p.signInWithPassword(s, email, password); id != want {
		t.Fatalf("signed in as %s, want %s", id, want)
	}
	if got := p.protectedUser(s); got != want {
		t.Fatalf("/protected shows %q, want %s", got, want)
	}
}

// startLinkSignIn goes from the app to the page that waits for the link.
func startLinkSignIn(p *page, s *stack, email string) {
	p.t.Helper()
	if st := p.appHome(s); st != "Signed out" {
		p.t.Fatalf("app status %q, want Signed out", st)
	}
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.fill("identifier", email)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.press("Email me a sign-in link")
	p.waitPage(s.lk.PublicURL, "/sign-in/link")
	if !eval[bool](p, `!!document.querySelector('meta[http-equiv="refresh"]')`) {
		p.t.Fatal("the waiting page does not refresh itself")
	}
}

// The emailed link opened in another tab of the same browser signs in; the
// waiting tab notices by itself and continues to the app.
func TestEmailLinkSameBrowser(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "lin@example.com"
	want := s.createUser(email, password)
	p := newPage(t)
	startLinkSignIn(p, s, email)
	link := s.link(email)

	mail := p.newTab() // same browser, same cookies: a click in the mail client
	mail.open(link)
	if id, _ := mail.signedInUser(s); id != want {
		t.Fatalf("the link's tab shows %s, want %s", id, want)
	}
	// The waiting page refreshes every 3 s and then moves on.
	if id, _ := p.signedInUser(s); id != want {
		t.Fatalf("the waiting tab shows %s, want %s", id, want)
	}
}

// A link opened in another browser signs nobody in: that browser sees the
// same-device page, and the waiting page shows the error instead of
// continuing.
func TestEmailLinkOtherDevice(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "dev@example.com"
	want := s.createUser(email, password)
	p := newPage(t)
	startLinkSignIn(p, s, email)
	link := s.link(email)

	other := newPage(t) // another browser context: no shared cookies
	if res := other.open(link); res.Status != 400 {
		t.Errorf("the link in another browser answered %d, want 400", res.Status)
	}
	if h := other.text("h1"); h != "Open the link on the same device" {
		t.Errorf("the other browser shows %q", h)
	}

	p.waitFor("the waiting page to show the error", `(function(){var e=document.querySelector(".alert.error");return !!e && e.textContent.indexOf("different browser or device") >= 0})()`, 15*time.Second)
	p.waitPage(s.lk.PublicURL, "/sign-in/link")
	if eval[bool](p, `!!document.querySelector('meta[http-equiv="refresh"]')`) {
		t.Error("the waiting page still refreshes after the error")
	}
	p.checkA11y("link error")
	if st := p.appHome(s); st != "Signed out" {
		t.Errorf("the asking browser: app status %q, want Signed out", st)
	}
	if st := other.appHome(s); st != "Signed out" {
		t.Errorf("the other browser: app status %q, want Signed out", st)
	}

	// As the error says: send a new link and open it here, in this tab.
	p.open(s.lk.PublicURL + "/sign-in/link?redirect_url=" + url.QueryEscape(s.app+"/"))
	p.waitFor("the waiting page with its error", `!!document.querySelector(".alert.error")`, 15*time.Second)
	p.press("Send a new link")
	p.waitPage(s.lk.PublicURL, "/sign-in/link")
	if eval[bool](p, `!!document.querySelector(".alert.error")`) {
		t.Fatal("the waiting page still shows the error after sending a new link")
	}
	p.open(s.link(email))
	if id, _ := p.signedInUser(s); id != want {
		t.Fatalf("the new link signed in %s, want %s", id, want)
	}
}

// Forgot password? → emailed code + new password → signed in; the old
// password no longer works and the new one does.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "rita@example.com"
	want := s.createUser(email, password)
	p := newPage(t)
	p.appHome(s)
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.fill("identifier", email)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.checkA11y("password")
	p.press("Forgot password?")
	p.waitPage(s.lk.PublicURL, "/sign-in/reset")
	p.checkA11y("reset")
	p.fill("code", s.code(email, "password reset"))
	p.fill("password", newPassword)
	p.press("Reset password and sign in")
	if id, _ := p.signedInUser(s); id != want {
		t.Fatalf("signed in as %s after the reset, want %s", id, want)
	}
	p.signOutFromApp(s)

	// The old password is refused on the page.
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.fill("identifier", email)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.fill("password", password)
	p.press("Continue")
	p.waitFor("the wrong-password error", `!!document.getElementById("password-error")`, 15*time.Second)
	if inv := eval[string](p, `document.getElementById("password").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("the password field is not marked invalid (aria-invalid=%q)", inv)
	}

	if id := p.signInWithPassword(s, email, newPassword); id != want {
		t.Fatalf("signed in with the new password as %s, want %s", id, want)
	}
}

// Multi-session: two accounts in one browser; the chooser lists both and
// switching changes the user the app sees.
func TestMultiSession(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(c *config.Config) { c.Sessions.MultiSession = true })
	const annEmail, bobEmail = "ann@example.com", "bob@example.com"
	ann := s.createUser(annEmail, password)
	bob := s.createUser(bobEmail, password)
	p := newPage(t)
	if id := p.signInWithPassword(s, annEmail, password); id != ann {
		t.Fatalf("first account: %s, want %s", id, ann)
	}

	back := url.QueryEscape(s.app + "/")
	p.open(s.lk.PublicURL + "/sign-in?redirect_url=" + back)
	p.waitPage(s.lk.PublicURL, "/sign-in/choose") // signed in already: the chooser
	p.do(chromedp.Click(`//a[normalize-space(.)="Add account"]`))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.fill("identifier", bobEmail)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.fill("password", password)
	p.press("Continue")
	if id, shown := p.signedInUser(s); id != bob || shown != bobEmail {
		t.Fatalf("after adding an account the app shows %s (%s), want %s", id, shown, bob)
	}

	p.open(s.lk.PublicURL + "/sign-in/choose?redirect_url=" + back)
	p.waitPage(s.lk.PublicURL, "/sign-in/choose")
	p.checkA11y("choose")
	rows := eval[[]string](p, `Array.prototype.map.call(document.querySelectorAll("ul.list li"), function(li){return li.innerText.replace(/\s+/g," ").trim()})`)
	if len(rows) != 2 || !strings.Contains(strings.Join(rows, "|"), annEmail) || !strings.Contains(strings.Join(rows, "|"), bobEmail) {
		t.Fatalf("the chooser lists %q, want both accounts", rows)
	}
	p.do(chromedp.Click(fmt.Sprintf(`//li[contains(., %q)]//button[normalize-space(.)="Switch"]`, annEmail)))
	if id, shown := p.signedInUser(s); id != ann || shown != annEmail {
		t.Fatalf("after switching the app shows %s (%s), want %s", id, shown, ann)
	}
	if got := p.protectedUser(s); got != ann {
		t.Fatalf("/protected shows %q after switching, want %s", got, ann)
	}
}

// A redirect_url to a foreign origin gets a refusal page and is never
// followed, also for a browser that is already signed in (where the page
// would otherwise send it straight on).
func TestForeignRedirectRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "eve@example.com"
	s.createUser(email, password)
	p := newPage(t)
	port := strings.TrimPrefix(s.app, "http://localhost:")
	bad := []string{
		"https://evil.example/",
		"//evil.example/",
		`/\evil.example/`,
		"javascript:alert(document.cookie)",
		"http://localhost:" + port + "@evil.example/",
		"http://evil.example:" + port + "/",
	}
	check := func(when string) {
		t.Helper()
		for _, target := range bad {
			res := p.open(s.lk.PublicURL + "/sign-in?redirect_url=" + url.QueryEscape(target))
			if res.Status != 400 {
				t.Errorf("%s: redirect_url=%s answered %d, want 400", when, target, res.Status)
			}
			p.waitPage(s.lk.PublicURL, "/sign-in")
			if h := p.text("h1"); h != "This link can't be used" {
				t.Errorf("%s: redirect_url=%s shows %q", when, target, h)
			}
			if n := eval[int](p, `document.forms.length`); n != 0 {
				t.Errorf("%s: the refusal page has %d forms", when, n)
			}
		}
	}
	check("signed out")
	p.checkA11y("refusal")
	p.signInWithPassword(s, email, password)
	check("signed in")
}

// Screenshots of the sign-in, code and account pages at 1280 and 360 px (no
// sideways scrolling on a phone), and accessibility checks on each.
func TestPagesLayoutAndAccessibility(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const email = "alexandra.longname@example.com"
	s.createUser(email, password)
	p := newPage(t)
	checkPage := func(name string) {
		t.Helper()
		p.shoot(name, 1280)
		p.shoot(name, 360)
		p.do(chromedp.ResetViewport())
		p.checkA11y(name)
	}

	p.open(s.lk.PublicURL + "/sign-in")
	p.waitPage(s.lk.PublicURL, "/sign-in")
	checkPage("sign-in")

	p.fill("identifier", email)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.press("Email me a code")
	p.waitPage(s.lk.PublicURL, "/sign-in/code")
	checkPage("code")

	p.fill("code", s.code(email, "sign-in code"))
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/user") // no redirect_url: the account page
	checkPage("account")
}

// timersJS records the delays the page asks setTimeout for.
const timersJS = `(function(){var orig=window.setTimeout;window.__e2eTimers=[];
window.setTimeout=function(f,d){window.__e2eTimers.push(Number(d)||0);return orig.apply(this,arguments)};})()`

// latchkey.js keeps the __session cookie no longer than the token is valid
// and refreshes it before it expires, whatever sessions.token_lifetime is
// (here the shortest allowed, 30 s).
func TestSessionCookieFollowsTokenLifetime(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(c *config.Config) { c.Sessions.TokenLifetime = 30 * time.Second })
	const email = "tess@example.com"
	want := s.createUser(email, password)
	p := newPage(t)
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: timersJS})
		return err
	}))
	if id := p.signInWithPassword(s, email, password); id != want {
		t.Fatalf("signed in as %s, want %s", id, want)
	}

	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (*network.GetCookiesResult, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{s.app + "/"}})
		return &r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var session *network.Cookie
	for _, c := range res.Cookies {
		if c.Name == "__session" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no __session cookie for the app; cookies: %+v", res.Cookies)
	}
	if left := time.Until(time.Unix(int64(session.Expires), 0)); left > 31*time.Second || left < 20*time.Second {
		t.Errorf("the __session cookie expires in %v, want about the 30 s the token lives", left.Round(time.Second))
	}
	timers := eval[[]float64](p, `window.__e2eTimers`)
	refresh := false
	for _, d := range timers {
		if d >= 30000 {
			t.Errorf("latchkey.js scheduled something %v ms out: the 30 s token would expire first (timers %v)", d, timers)
		}
		if d >= 10000 && d < 30000 {
			refresh = true
		}
	}
	if !refresh {
		t.Errorf("latchkey.js scheduled no refresh before the token expires (timers %v)", timers)
	}
}
