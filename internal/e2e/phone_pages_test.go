package e2e_test

import (
	"encoding/json"
	"github.com/pquerna/otp/totp"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

// pageClient drives the hosted pages over plain HTTP like a browser without
// JavaScript: a cookie jar, the CSRF token of the last page, and redirects
// on this site followed by hand.
type pageClient struct {
	t    *testing.T
	env  *testserver.Env
	c    *http.Client
	csrf string
	body string
	path string // the path of the last page shown
}

func newPageClient(t *testing.T, env *testserver.Env) *pageClient {
	jar, _ := cookiejar.New(nil)
	return &pageClient{t: t, env: env, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// open GETs a page (following redirects) and returns its status.
func (p *pageClient) open(path string) int {
	p.t.Helper()
	return p.follow(p.c.Get(p.env.PublicURL + path))
}

// submit posts a form of the current page with its CSRF token.
func (p *pageClient) submit(action string, kv ...string) int {
	p.t.Helper()
	f := url.Values{"csrf_token": {p.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return p.follow(p.c.PostForm(p.env.PublicURL+action, f))
}

func (p *pageClient) follow(res *http.Response, err error) int {
	p.t.Helper()
	for i := 0; ; i++ {
		if err != nil {
			p.t.Fatal(err)
		}
		if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
			break
		}
		res.Body.Close()
		loc, perr := url.Parse(res.Header.Get("Location"))
		if perr != nil || i > 10 {
			p.t.Fatalf("redirect to %q", res.Header.Get("Location"))
		}
		// done() names the configured public URL; the pages are served here.
		res, err = p.c.Get(p.env.PublicURL + loc.RequestURI())
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, rerr := res.Body.Read(buf)
		b.Write(buf[:n])
		if rerr != nil {
			break
		}
	}
	p.path = res.Request.URL.Path
	if m := csrfRE.FindStringSubmatch(b.String()); m != nil {
		p.csrf = m[1]
	}
	p.body = html.UnescapeString(b.String()) // templates write + as &#43;
	return res.StatusCode
}

var smsCodeRE = regexp.MustCompile(`\b(\d{6})\b`)

// devText returns the code of a text to number in the dev outbox whose
// text names what ("verification code", "sign-in code"). The test clock
// stands still, so the outbox's order cannot tell two texts apart.
func devText(t *testing.T, env *testserver.Env, number, what string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := http.Get(env.PublicURL + "/dev/outbox?format=json")
		if err != nil {
			t.Fatal(err)
		}
		var items []struct{ Channel, To, Text string }
		err = json.NewDecoder(res.Body).Decode(&items)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Channel == "sms" && it.To == number && strings.Contains(it.Text, what) {
				if m := smsCodeRE.FindStringSubmatch(it.Text); m != nil {
					return m[1]
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no text to %s in the dev outbox: %+v", number, items)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// textsTo counts the texts to number in the dev outbox.
func textsTo(t *testing.T, env *testserver.Env, number string) int {
	t.Helper()
	res, err := http.Get(env.PublicURL + "/dev/outbox?format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var items []struct{ Channel, To string }
	if err := json.NewDecoder(res.Body).Decode(&items); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range items {
		if it.Channel == "sms" && it.To == number {
			n++
		}
	}
	return n
}

// The hosted pages with phone numbers, texts kept in the dev outbox: sign up
// with a phone number (verified by a texted code), add a second number on
// the account page (verified the same way; a country outside the SMS
// allowlist is refused), and sign in again with a texted code.
func TestPhonePages(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, func(c *config.Config) {
		c.Auth.FirstFactors.PhoneCode = true
		c.Auth.Identifiers.EmailAddress.Required = false
		c.SMS.AllowedCallingCodes = []int{1, 44}
	})
	p := newPageClient(t, env)
	if st := p.open("/sign-up"); st != 200 || !strings.Contains(p.body, `name="phone_number"`) {
		t.Fatalf("sign-up page %d has no phone field:\n%s", st, p.body)
	}
	if st := p.submit("/sign-up", "phone_number", "+33 6 12 34 56 78", "password", password); st != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "not supported") {
		t.Fatalf("a French number at sign-up: %d\n%s", st, p.body)
	}
	if st := p.submit("/sign-up", "phone_number", "+1 555 555 0161", "password", password); st != 200 || p.path != "/sign-up/verify-phone" {
		t.Fatalf("sign-up went to %s (%d)", p.path, st)
	}
	if !strings.Contains(p.body, "+15555550161") {
		t.Errorf("the code page does not name the number:\n%s", p.body)
	}
	if st := p.submit("/sign-up/verify-phone", "code", "000000"); st != http.StatusUnprocessableEntity || p.path != "/sign-up/verify-phone" {
		t.Fatalf("a wrong code: %d at %s", st, p.path)
	}
	if st := p.submit("/sign-up/verify-phone", "code", devText(t, env, "+15555550161", "verification code")); st != 200 || p.path != "/user" {
		t.Fatalf("after the code: %d at %s\n%s", st, p.path, p.body)
	}
	if !strings.Contains(p.body, "+15555550161") || strings.Contains(p.body, "Unverified") {
		t.Fatalf("the account page does not show the verified number:\n%s", p.body)
	}

	// Add a UK number on the account page and verify it.
	if st := p.submit("/user/phones", "phone_number", "+33 6 12 34 56 79"); st != http.StatusUnprocessableEntity || !strings.Contains(p.body, "not supported") {
		t.Fatalf("a French number on the account page: %d", st)
	}
	if textsTo(t, env, "+33612345679") != 0 {
		t.Fatal("a text went to a number outside the allowlist")
	}
	if st := p.submit("/user/phones", "phone_number", "+44 7700 900456"); st != 200 || !strings.HasPrefix(p.path, "/user/phones/") {
		t.Fatalf("adding a number: %d at %s\n%s", st, p.path, p.body)
	}
	verify := p.path
	if st := p.submit(verify, "code", devText(t, env, "+447700900456", "verification code")); st != 200 || p.path != "/user" ||
		!strings.Contains(p.body, "The phone number is verified.") || strings.Contains(p.body, "Unverified") {
		t.Fatalf("verifying the added number: %d at %s\n%s", st, p.path, p.body)
	}

	// Another browser signs in with a texted code to the added number.
	q := newPageClient(t, env)
	q.open("/sign-in")
	if st := q.submit("/sign-in", "identifier", "+44 7700 900456"); st != 200 || q.path != "/sign-in/factor" || !strings.Contains(q.body, "Text me a code") {
		t.Fatalf("factor page: %d at %s\n%s", st, q.path, q.body)
	}
	if st := q.submit("/sign-in/phone/send"); st != 200 || q.path != "/sign-in/phone" || !strings.Contains(q.body, "+447700900456") {
		t.Fatalf("code page: %d at %s\n%s", st, q.path, q.body)
	}
	if st := q.submit("/sign-in/phone", "code", devText(t, env, "+447700900456", "sign-in code")); st != 200 || q.path != "/user" ||
		!strings.Contains(q.body, "+15555550161") {
		t.Fatalf("signed in: %d at %s\n%s", st, q.path, q.body)
	}

	// With an authenticator app turned on, a texted first-factor code is
	// not enough: the sign-in goes on to the second-factor page.
	if st := p.submit("/user/totp/new"); st != 200 || p.path != "/user/totp" {
		t.Fatalf("authenticator set-up: %d at %s", st, p.path)
	}
	secret := between(p.body, `<code id="totp-secret">`, `</code>`)
	code, err := totp.GenerateCode(secret, env.Clock.Now())
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	if st := p.submit("/user/totp/verify", "code", code); st != 200 {
		t.Fatalf("confirming the authenticator: %d at %s\n%s", st, p.path, p.body)
	}
	m := newPageClient(t, env)
	m.open("/sign-in")
	m.submit("/sign-in", "identifier", "+1 555 555 0161") // the other number: its only sign-in text is this one
	m.submit("/sign-in/phone/send")
	if st := m.submit("/sign-in/phone", "code", devText(t, env, "+15555550161", "sign-in code")); st != 200 || m.path != "/sign-in/second-factor" {
		t.Fatalf("a texted code with MFA on went to %s (%d), want /sign-in/second-factor", m.path, st)
	}
	if m.open("/user"); m.path == "/user" {
		t.Fatal("the account page opened before the second factor")
	}
}

// between is the text of s after start and before the next end.
func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	out, _, _ := strings.Cut(rest, end)
	return out
}
