package fapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/notify/smtptest"
	"github.com/latchkey/latchkey/internal/testserver"
)

// appOrigin is the application origin the tests trust (allowed_origins).
const appOrigin = "http://app.localhost:3000"

// appName is the branding the tests expect to see in emails.
const appName = "Acme Test"

// mailWait is how long a test waits for an email that must arrive.
const mailWait = 10 * time.Second

// harness is one running Latchkey with its mail going to an SMTP sink.
type harness struct {
	t    *testing.T
	env  *testserver.Env
	sink *smtptest.Sink
}

// start runs Latchkey with mail routed to a fresh sink. The clock of the
// test server stands still unless the test moves it, so every request of a
// test falls in the same rate-limit window; the limits are raised here and
// lowered again by the tests that exercise them.
func start(t *testing.T, mutate ...func(*config.Config)) *harness {
	t.Helper()
	t.Parallel()
	sink := smtptest.Start(t)
	base := func(c *config.Config) {
		c.Email.SMTP = notify.SMTP{Host: sink.Host(), Port: sink.Port(), TLS: notify.TLSNone, From: "auth@example.com"}
		c.AllowedOrigins = []string{appOrigin}
		c.Branding.ApplicationName = appName
		c.Auth.RateLimits = config.RateLimits{SignInAttemptsPerMinute: 1000, CodeAttemptsPerMinute: 1000, EmailsPerMinute: 1000}
	}
	env := testserver.Start(t, append([]func(*config.Config){base}, mutate...)...)
	return &harness{t: t, env: env, sink: sink}
}

// browser is a cookie-jar HTTP client that talks to the frontend API like a
// browser (or, with native set, like a mobile app holding a client token).
type browser struct {
	h      *harness
	hc     *http.Client
	native bool
	token  string // the client token of a native app, sent as a Bearer header
	origin string // sent as the Origin header when set
}

func (h *harness) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &browser{h: h, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// nativeApp is a client that keeps its token itself, as a mobile app does.
func (h *harness) nativeApp() *browser {
	b := h.browser()
	b.hc.Jar = nil
	b.native = true
	return b
}

// apiErr is one entry of Clerk's error envelope.
type apiErr struct {
	Message     string         `json:"message"`
	LongMessage string         `json:"long_message"`
	Code        string         `json:"code"`
	Meta        map[string]any `json:"meta"`
}

// resp is a frontend API answer: Clerk's {"response","client"} envelope or
// its {"errors"} envelope.
type resp struct {
	Status   int
	Header   http.Header
	Body     []byte
	Response json.RawMessage `json:"response"`
	Client   *clientObj      `json:"client"`
	Errors   []apiErr        `json:"errors"`
}

type verificationObj struct {
	Object     string `json:"object"`
	Status     string `json:"status"`
	Strategy   string `json:"strategy"`
	Attempts   int    `json:"attempts"`
	ExpireAt   int64  `json:"expire_at"`
	NextAction string `json:"next_action"`
	Error      *struct {
		Code string `json:"code"`
	} `json:"error"`
}

type factorObj struct {
	Strategy       string `json:"strategy"`
	SafeIdentifier string `json:"safe_identifier"`
	EmailAddressID string `json:"email_address_id"`
}

type signInObj struct {
	Object                  string           `json:"object"`
	ID                      string           `json:"id"`
	Status                  string           `json:"status"`
	SupportedFirstFactors   []factorObj      `json:"supported_first_factors"`
	FirstFactorVerification *verificationObj `json:"first_factor_verification"`
	Identifier              *string          `json:"identifier"`
	UserData                *struct {
		FirstName *string `json:"first_name"`
		LastName  *string `json:"last_name"`
	} `json:"user_data"`
	CreatedSessionID *string `json:"created_session_id"`
}

type signUpObj struct {
	Object           string   `json:"object"`
	ID               string   `json:"id"`
	Status           string   `json:"status"`
	RequiredFields   []string `json:"required_fields"`
	MissingFields    []string `json:"missing_fields"`
	UnverifiedFields []string `json:"unverified_fields"`
	Verifications    struct {
		EmailAddress    *verificationObj `json:"email_address"`
		ExternalAccount *verificationObj `json:"external_account"`
	} `json:"verifications"`
	EmailAddress     *string `json:"email_address"`
	PasswordEnabled  bool    `json:"password_enabled"`
	CreatedSessionID *string `json:"created_session_id"`
	CreatedUserID    *string `json:"created_user_id"`
}

type sessionObj struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	Status string `json:"status"`
	User   *struct {
		ID string `json:"id"`
	} `json:"user"`
	PublicUserData struct {
		Identifier string `json:"identifier"`
	} `json:"public_user_data"`
}

type clientObj struct {
	Object              string       `json:"object"`
	ID                  string       `json:"id"`
	Sessions            []sessionObj `json:"sessions"`
	SignIn              *signInObj   `json:"sign_in"`
	SignUp              *signUpObj   `json:"sign_up"`
	LastActiveSessionID *string      `json:"last_active_session_id"`
}

// do sends a request to the frontend API (path is below /v1) with form as an
// application/x-www-form-urlencoded body.
func (b *browser) do(method, path string, form url.Values) *resp {
	b.h.t.Helper()
	return b.doURL(method, b.h.env.PublicURL+"/v1"+path, form)
}

func (b *browser) doURL(method, u string, form url.Values) *resp {
	b.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	res, err := b.hc.Do(req)
	if err != nil {
		b.h.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.h.t.Fatalf("%s %s: read: %v", method, u, err)
	}
	out := &resp{Status: res.StatusCode, Header: res.Header, Body: raw}
	if b.native && b.token == "" {
		if tok := res.Header.Get("Authorization"); tok != "" {
			b.token = tok
		}
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, out); err != nil {
			b.h.t.Fatalf("%s %s: decode %q: %v", method, u, raw, err)
		}
	}
	return out
}

func (b *browser) post(path string, form url.Values) *resp {
	b.h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return b.do(http.MethodPost, path, form)
}

func (b *browser) get(path string) *resp {
	b.h.t.Helper()
	return b.do(http.MethodGet, path, nil)
}

// form builds url.Values from key, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// ok asserts a 200 and returns r.
func (r *resp) ok(t *testing.T) *resp {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
	}
	return r
}

// fails asserts status and the first error's code.
func (r *resp) fails(t *testing.T, status int, code string) apiErr {
	t.Helper()
	if r.Status != status || len(r.Errors) == 0 || r.Errors[0].Code != code {
		t.Fatalf("got %d %s; want %d %s", r.Status, r.Body, status, code)
	}
	return r.Errors[0]
}

func (r *resp) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code
}

func (r *resp) signIn(t *testing.T) signInObj {
	t.Helper()
	var si signInObj
	if err := json.Unmarshal(r.Response, &si); err != nil || si.Object != "sign_in_attempt" {
		t.Fatalf("not a sign-in (%v): %s", err, r.Body)
	}
	return si
}

func (r *resp) signUp(t *testing.T) signUpObj {
	t.Helper()
	var su signUpObj
	if err := json.Unmarshal(r.Response, &su); err != nil || su.Object != "sign_up_attempt" {
		t.Fatalf("not a sign-up (%v): %s", err, r.Body)
	}
	return su
}

func (r *resp) session(t *testing.T) sessionObj {
	t.Helper()
	var s sessionObj
	if err := json.Unmarshal(r.Response, &s); err != nil || s.Object != "session" {
		t.Fatalf("not a session (%v): %s", err, r.Body)
	}
	return s
}

// client fetches GET /v1/client.
func (b *browser) client(t *testing.T) *clientObj {
	t.Helper()
	r := b.get("/client").ok(t)
	var c *clientObj
	if err := json.Unmarshal(r.Response, &c); err != nil {
		t.Fatalf("decode client: %v: %s", err, r.Body)
	}
	return c
}

// token asks for a session JWT; it returns the response.
func (b *browser) sessionToken(sessionID string) *resp {
	b.h.t.Helper()
	return b.post("/client/sessions/"+sessionID+"/tokens", nil)
}

// startSignIn creates a sign-in for identifier and expects needs_first_factor.
func (b *browser) startSignIn(t *testing.T, identifier string) signInObj {
	t.Helper()
	si := b.post("/client/sign_ins", form("identifier", identifier)).ok(t).signIn(t)
	if si.Status != "needs_first_factor" {
		t.Fatalf("sign-in status %q, want needs_first_factor", si.Status)
	}
	return si
}

// signInPassword signs in with the one-shot create and returns the complete sign-in.
func (b *browser) signInPassword(t *testing.T, identifier, password string) signInObj {
	t.Helper()
	si := b.post("/client/sign_ins", form("identifier", identifier, "strategy", "password", "password", password)).ok(t).signIn(t)
	if si.Status != "complete" || si.CreatedSessionID == nil {
		t.Fatalf("sign-in not complete: %+v", si)
	}
	return si
}

// adminUser is the part of a Backend API user the tests look at.
type adminUser struct {
	ID              string `json:"id"`
	Object          string `json:"object"`
	PasswordEnabled bool   `json:"password_enabled"`
	Locked          bool   `json:"locked"`
	EmailAddresses  []struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
		Verification *struct {
			Status   string `json:"status"`
			Strategy string `json:"strategy"`
		} `json:"verification"`
	} `json:"email_addresses"`
	PrimaryEmailAddressID *string `json:"primary_email_address_id"`
}

// admin calls the Backend API with the secret key and decodes into out.
func (h *harness) admin(method, path string, body any, out any) int {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.env.AdminURL+"/v1"+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.env.SecretKey)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return res.StatusCode
}

// createUser makes a user with a verified email and a password through the
// Backend API.
func (h *harness) createUser(email, password string, names ...string) adminUser {
	h.t.Helper()
	body := map[string]any{"email_address": []string{email}, "password": password}
	if len(names) > 0 {
		body["first_name"] = names[0]
	}
	if len(names) > 1 {
		body["last_name"] = names[1]
	}
	var u adminUser
	if st := h.admin(http.MethodPost, "/users", body, &u); st != http.StatusOK || u.ID == "" {
		h.t.Fatalf("create user %s: %d %+v", email, st, u)
	}
	return u
}

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

// code waits for the next email to to and returns the one-time code in it.
func (h *harness) code(to string) string {
	h.t.Helper()
	m := h.sink.WaitFor(h.t, to, mailWait)
	c := codeRe.FindStringSubmatch(m.Text)
	if c == nil {
		h.t.Fatalf("no code in the email to %s: %q", to, m.Text)
	}
	return c[1]
}

var linkRe = regexp.MustCompile(`https?://\S+/v1/verify\?token=[A-Za-z0-9_\-]+`)

// link waits for the next email to to and returns its verification link,
// pointed at the test server (the configured public URL is not where the
// test server listens).
func (h *harness) link(to string) string {
	h.t.Helper()
	m := h.sink.WaitFor(h.t, to, mailWait)
	l := linkRe.FindString(m.Text)
	if l == "" {
		h.t.Fatalf("no link in the email to %s: %q", to, m.Text)
	}
	u, err := url.Parse(l)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.env.PublicURL + u.Path + "?" + u.RawQuery
}

// noMail asserts that nothing reaches to within wait.
func (h *harness) noMail(to string, wait time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		for _, m := range h.sink.Messages() {
			for _, r := range m.Rcpt {
				if strings.EqualFold(r, to) {
					h.t.Fatalf("an email reached %s: %q", to, m.Subject)
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keysOf lists the object keys of a JSON document recursively, as paths, so
// that two responses can be compared for shape.
func keysOf(t *testing.T, raw []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				out = append(out, prefix+"."+k)
				walk(prefix+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(prefix+"[]", c)
			}
		}
	}
	walk("", v)
	return out
}

// configT shortens config mutators in tests.
type configT = config.Config
