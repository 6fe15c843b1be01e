package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/notify/smtptest"
	"github.com/latchkey/latchkey/internal/testserver"
)

// stack is one test's world: Latchkey on http://localhost:PORT, the example
// app on http://localhost:APPPORT (same site, so the __client cookie is
// sent by the app's fetches), and the SMTP sink every email goes to.
type stack struct {
	t    *testing.T
	lk   *testserver.Env
	sink *smtptest.Sink
	app  string // the example app's origin
}

func newStack(t *testing.T, mutate ...func(*config.Config)) *stack {
	t.Helper()
	s := &stack{t: t, sink: smtptest.Start(t)}
	s.lk = testserver.StartListening(t, func(c *config.Config) {
		c.Email.SMTP = notify.SMTP{Host: s.sink.Host(), Port: s.sink.Port(), TLS: notify.TLSNone, From: "auth@example.com"}
		s.app = startApp(t, c.PublicURL) // PublicURL is already the real one here
		c.AllowedOrigins = []string{s.app}
		for _, m := range mutate {
			m(c)
		}
	})
	return s
}

var appListening = regexp.MustCompile(`example app on http://127\.0\.0\.1:(\d+) `)

// startApp runs the example app on a free port and returns its origin as
// the browser should use it (localhost, like Latchkey).
func startApp(t *testing.T, latchkeyURL string) string {
	t.Helper()
	cmd := exec.Command(appBin, "-addr", "127.0.0.1:0", "-latchkey", latchkeyURL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start example app: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := appListening.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case p := <-port:
		return "http://localhost:" + p
	case <-time.After(15 * time.Second):
		t.Fatal("example app did not start")
		return ""
	}
}

// createUser makes a user with a verified email address (and a password
// unless it is empty) through the service, as an operator would.
func (s *stack) createUser(email, password string) string {
	s.t.Helper()
	in := identity.CreateUserInput{EmailAddresses: []string{email}}
	if password != "" {
		in.Password = &password
	}
	u, err := s.lk.Server.Users.CreateUser(context.Background(), in)
	if err != nil {
		s.t.Fatalf("create user %s: %v", email, err)
	}
	return u.ID
}

var (
	codeRE = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)
	linkRE = regexp.MustCompile(`https?://\S+/v1/verify\?token=\S+`)
)

// code waits for the next email to `to` and returns the 6-digit code in it.
func (s *stack) code(to, subject string) string {
	s.t.Helper()
	m := s.sink.WaitFor(s.t, to, 15*time.Second)
	if !strings.Contains(m.Subject, subject) {
		s.t.Fatalf("email to %s: subject %q, want it to mention %q", to, m.Subject, subject)
	}
	c := codeRE.FindStringSubmatch(m.Text)
	if c == nil {
		s.t.Fatalf("no code in the email to %s:\n%s", to, m.Text)
	}
	return c[1]
}

// link waits for the next email to `to` and returns the sign-in link in it.
func (s *stack) link(to string) string {
	s.t.Helper()
	m := s.sink.WaitFor(s.t, to, 15*time.Second)
	l := linkRE.FindString(m.Text)
	if l == "" {
		s.t.Fatalf("no link in the email to %s:\n%s", to, m.Text)
	}
	if !strings.HasPrefix(l, s.lk.PublicURL+"/") {
		s.t.Fatalf("the link %s is not on Latchkey's public URL %s", l, s.lk.PublicURL)
	}
	return l
}

// page is one browser tab.
type page struct {
	t   *testing.T
	ctx context.Context
}

// newPage opens a tab in a new browser context: its own cookies, as a
// separate browser (or device) would have.
func newPage(t *testing.T) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext())
	return openTab(t, ctx, cancel)
}

// newTab opens another tab in the same browser context as p (shared
// cookies), as opening a link from a mail client would.
func (p *page) newTab() *page {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx)
	return openTab(p.t, ctx, cancel)
}

func openTab(t *testing.T, ctx context.Context, cancel context.CancelFunc) *page {
	t.Helper()
	t.Cleanup(cancel)
	// The first Run creates the tab; it gets no timeout (see chromedp.Run).
	// Focus emulation lets tabs running side by side each behave as the
	// focused one, which autofocus and keyboard navigation need.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	p := &page{t: t, ctx: ctx}
	// Script errors, console errors and CSP violations on any page fail the
	// test. Error statuses the tests ask for (400, 403) and a missing
	// favicon are not script problems.
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		msg := ""
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "uncaught exception: " + e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			msg += " at " + e.ExceptionDetails.URL
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				msg = "console.error:"
				for _, a := range e.Args {
					msg += " " + string(a.Value) + a.Description
				}
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError && !strings.HasPrefix(e.Entry.Text, "Failed to load resource") {
				msg = "console (" + string(e.Entry.Source) + "): " + e.Entry.Text + " at " + e.Entry.URL
			}
		}
		if msg != "" {
			mu.Lock()
			problems = append(problems, msg)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		for _, m := range problems {
			t.Errorf("browser: %s", m)
		}
		mu.Unlock()
		if t.Failed() {
			t.Logf("tab at %s:\n%s", p.safeURL(), p.safeText())
		}
	})
	return p
}

const stepTimeout = 20 * time.Second

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser at %s: %v", p.safeURL(), err)
	}
}

func eval[T any](p *page, js string, opts ...chromedp.EvaluateOption) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		p.t.Fatalf("browser at %s: evaluate %s: %v", p.safeURL(), js, err)
	}
	return v
}

func (p *page) safeURL() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return u
}

func (p *page) safeText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(no text: " + err.Error() + ")"
	}
	return s
}

// open navigates and returns the response of the main document.
func (p *page) open(url string) *network.Response {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.t.Fatalf("open %s: %v", url, err)
	}
	return res
}

// waitFor polls the expression until it is true. Errors count as false:
// the page may be between two documents.
func (p *page) waitFor(what, js string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %v waiting for %s; tab at %s:\n%s", timeout, what, p.safeURL(), p.safeText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPage waits for a loaded document at origin+path.
func (p *page) waitPage(origin, path string) {
	p.t.Helper()
	p.waitFor(origin+path, fmt.Sprintf(`location.origin === %q && location.pathname === %q && document.readyState === "complete" && !document.documentElement.hasAttribute("data-e2e-left")`, origin, path), 15*time.Second)
}

// fill types into the input with this id.
func (p *page) fill(id, value string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.ID(id), value))
}

// press clicks the button labelled label, which submits a form. The page
// is marked first, so that waitPage waits for the next document even when
// it has the same path.
func (p *page) press(label string) {
	p.t.Helper()
	p.do(chromedp.Evaluate[chromedp.Void](`document.documentElement.setAttribute("data-e2e-left", "")`),
		chromedp.Click(fmt.Sprintf(`//button[normalize-space(.)=%q]`, label)))
}

func (p *page) text(css string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		p.t.Fatalf("text of %s at %s: %v", css, p.safeURL(), err)
	}
	return strings.TrimSpace(s)
}

// The example app's page.

var signedInRE = regexp.MustCompile(`^Signed in as (user_[A-Za-z0-9]+) \((.*)\)$`)

// appHome opens the example app and waits for latchkey.js to have loaded.
func (p *page) appHome(s *stack) string {
	p.t.Helper()
	p.open(s.app + "/")
	return p.appStatus(s)
}

// appStatus waits on the example app for latchkey.js to report.
func (p *page) appStatus(s *stack) string {
	p.t.Helper()
	p.waitPage(s.app, "/")
	p.waitFor("the app to load latchkey.js", `(function(){var e=document.getElementById("status");return !!e && e.textContent !== "Loading…"})()`, 15*time.Second)
	return p.text("#status")
}

// signedInUser waits for the example app to show a signed-in user and
// returns the user id and the email shown.
func (p *page) signedInUser(s *stack) (id, email string) {
	p.t.Helper()
	p.waitPage(s.app, "/")
	p.waitFor("the app to show a signed-in user", `(function(){var e=document.getElementById("status");return !!e && e.textContent.indexOf("Signed in as user_") === 0})()`, 15*time.Second)
	m := signedInRE.FindStringSubmatch(p.text("#status"))
	if m == nil {
		p.t.Fatalf("app status %q", p.text("#status"))
	}
	return m[1], m[2]
}

// protectedUser opens the app's server-verified page and returns the user
// id it shows, or "" when it refuses.
func (p *page) protectedUser(s *stack) string {
	p.t.Helper()
	res := p.open(s.app + "/protected")
	if res.Status != 200 {
		return ""
	}
	return p.text("#user-id")
}

// signInWithPassword goes from the app's Sign in button through the hosted
// pages and back.
func (p *page) signInWithPassword(s *stack, email, password string) string {
	p.t.Helper()
	if st := p.appHome(s); st != "Signed out" {
		p.t.Fatalf("app status before signing in: %q", st)
	}
	p.do(chromedp.Click(chromedp.ID("sign-in")))
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.fill("identifier", email)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.fill("password", password)
	p.press("Continue")
	id, shown := p.signedInUser(s)
	if shown != email {
		p.t.Fatalf("app shows %s, want %s", shown, email)
	}
	return id
}

// signOutFromApp uses the app's Sign out button.
func (p *page) signOutFromApp(s *stack) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.ID("sign-out")))
	p.waitFor("the app to show it is signed out", `(function(){var e=document.getElementById("status");return !!e && e.textContent === "Signed out"})()`, 15*time.Second)
}

// Accessibility and layout checks, run in the page.

const a11yJS = `(function(){
  function visible(el){var cs=getComputedStyle(el);return el.getClientRects().length>0&&cs.visibility!=="hidden"&&cs.display!=="none";}
  var problems=[];
  document.querySelectorAll("input,select,textarea").forEach(function(el){
    if(el.type==="hidden"||!visible(el))return;
    var labels=Array.prototype.filter.call(el.labels||[],function(l){return l.textContent.trim()!==""});
    if(labels.length===0)problems.push("no label for "+el.outerHTML);
  });
  var h1=document.querySelectorAll("h1").length;
  if(h1!==1)problems.push(h1+" <h1> elements, want 1");
  return problems;
})()`

// tabbablesJS marks the interactive controls a keyboard user must reach,
// in document order, and describes them.
const tabbablesJS = `(function(){
  function visible(el){var cs=getComputedStyle(el);return el.getClientRects().length>0&&cs.visibility!=="hidden"&&cs.display!=="none";}
  var list=Array.prototype.filter.call(document.querySelectorAll("a[href],button,input,select,textarea,[tabindex]"),function(el){
    return !(el.tagName==="INPUT"&&el.type==="hidden")&&!el.disabled&&el.tabIndex>=0&&visible(el);
  });
  return list.map(function(el,i){el.setAttribute("data-e2e-tab",String(i));
    return el.tagName.toLowerCase()+(el.id?"#"+el.id:"")+" "+JSON.stringify((el.textContent||el.name||"").trim().slice(0,40));});
})()`

const activeJS = `(function(){var a=document.activeElement;return a&&a.hasAttribute("data-e2e-tab")?Number(a.getAttribute("data-e2e-tab")):-1})()`

// setWidth emulates a viewport width and waits for the new layout.
func (p *page) setWidth(width int64) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(width, 800))
	eval[bool](p, `new Promise(function(r){requestAnimationFrame(function(){requestAnimationFrame(function(){r(true)})})})`, chromedp.EvalAwaitPromise)
}

// checkNoSideScroll fails when the page is wider than the viewport.
func (p *page) checkNoSideScroll(name string, width int64) {
	p.t.Helper()
	if sw := eval[int](p, `document.documentElement.scrollWidth`); sw > int(width) {
		wide := eval[[]string](p, fmt.Sprintf(`Array.prototype.filter.call(document.querySelectorAll("body *"), function(e){return e.getBoundingClientRect().right > %d}).map(function(e){return e.tagName.toLowerCase()+(e.className?"."+e.className:"")+" "+e.textContent.trim().slice(0,30)})`, width))
		p.t.Errorf("%s: the page is %d px wide at a %d px viewport: it scrolls sideways; wider elements: %q", name, sw, width, wide)
	}
}

// checkA11y checks, on a phone-sized viewport, that nothing scrolls
// sideways; then labels, the single <h1>, and that Tab reaches every
// interactive control in order.
func (p *page) checkA11y(name string) {
	p.t.Helper()
	p.setWidth(360)
	p.checkNoSideScroll(name, 360)
	p.do(chromedp.ResetViewport())
	if problems := eval[[]string](p, a11yJS); len(problems) > 0 {
		p.t.Errorf("%s: accessibility problems:\n  %s", name, strings.Join(problems, "\n  "))
	}
	controls := eval[[]string](p, tabbablesJS)
	if len(controls) == 0 {
		p.t.Fatalf("%s: no interactive controls found", name)
	}
	at := eval[int](p, activeJS)
	if at == -1 { // nothing focused yet: the first Tab enters the page
		p.do(chromedp.KeyEvent(kb.Tab))
		at = eval[int](p, activeJS)
	}
	if at < 0 {
		p.t.Fatalf("%s: Tab does not focus any of the page's controls %v", name, controls)
	}
	step := func(from, want int, back bool) {
		p.t.Helper()
		key, dir := chromedp.KeyEvent(kb.Tab), "Tab"
		if back {
			key, dir = chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)), "Shift+Tab"
		}
		p.do(key)
		if got := eval[int](p, activeJS); got != want {
			desc := "something else"
			if got >= 0 {
				desc = controls[got]
			}
			p.t.Fatalf("%s: %s from %s went to %s, want %s", name, dir, controls[from], desc, controls[want])
		}
	}
	// An autofocused field may come after a link ("Change"): walk back to
	// the first control, then forward through all of them.
	for i := at - 1; i >= 0; i-- {
		step(i+1, i, true)
	}
	for i := 1; i < len(controls); i++ {
		step(i-1, i, false)
	}
}

// shoot saves a full-page screenshot at the given width (and leaves the
// viewport at it); at 360 px it also checks that nothing scrolls sideways.
func (p *page) shoot(name string, width int64) {
	p.t.Helper()
	p.setWidth(width)
	if width <= 360 {
		p.checkNoSideScroll(name, width)
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join(repoRoot, "test-artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}
