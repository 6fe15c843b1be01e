package e2e_test

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

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

var ticketInputRE = regexp.MustCompile(`<input type="hidden" name="ticket" value="([^"]+)">`)

// The hosted sign-up page redeems an invitation link in the restricted
// sign-up mode: the page carries the ticket, asks for no email address, and
// creates the invited account.
func TestInvitationLinkOnTheHostedSignUpPage(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, func(c *config.Config) { c.Auth.SignUp.Mode = "restricted" })

	body, _ := json.Marshal(map[string]any{"email_address": "invitee@example.com", "notify": false})
	req, _ := http.NewRequest(http.MethodPost, env.AdminURL+"/v1/invitations", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+env.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var inv struct{ URL string }
	json.NewDecoder(res.Body).Decode(&inv)
	res.Body.Close()
	link, err := url.Parse(inv.URL)
	if res.StatusCode != http.StatusOK || err != nil || link.Path != "/sign-up" {
		t.Fatalf("create invitation: %d %q", res.StatusCode, inv.URL)
	}
	ticket := link.Query().Get("__clerk_ticket")

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, html := get(t, browser, env.PublicURL+"/sign-up?"+link.RawQuery)
	m, csrf := ticketInputRE.FindStringSubmatch(html), csrfRE.FindStringSubmatch(html)
	if page.StatusCode != http.StatusOK || m == nil || m[1] != ticket || csrf == nil || strings.Contains(html, `name="email_address"`) {
		t.Fatalf("GET the invitation link: %d, ticket field %v, email field shown: %v", page.StatusCode, m, strings.Contains(html, `name="email_address"`))
	}
	post := func(form url.Values) (*http.Response, string) {
		t.Helper()
		form.Set("csrf_token", csrf[1])
		res, err := browser.PostForm(env.PublicURL+"/sign-up", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	// Without the ticket the restricted mode refuses the address.
	if res, html := post(url.Values{"email_address": {"invitee@example.com"}, "password": {password}}); res.StatusCode != http.StatusForbidden ||
		!strings.Contains(html, "restricted mode") {
		t.Fatalf("sign-up without the ticket: %d", res.StatusCode)
	}
	if res, html := post(url.Values{"ticket": {ticket + "x"}, "password": {password}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(html, "unknown, revoked or already used") {
		t.Fatalf("sign-up with a wrong ticket: %d", res.StatusCode)
	}
	res, _ = post(url.Values{"ticket": {ticket}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up with the ticket: %d", res.StatusCode)
	}
	var users []struct {
		EmailAddresses []struct {
			EmailAddress string `json:"email_address"`
		} `json:"email_addresses"`
	}
	req, _ = http.NewRequest(http.MethodGet, env.AdminURL+"/v1/users?email_address=invitee@example.com", nil)
	req.Header.Set("Authorization", "Bearer "+env.SecretKey)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&users); err != nil || len(users) != 1 {
		t.Fatalf("invited user: %v %+v", err, users)
	}
}

// A signed-in user cannot add a blocked address on the account page,
// whatever its case and with a subaddress.
func TestAccountPageRefusesABlockedAddress(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	admin := func(method, path string, body any) int {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, env.AdminURL+"/v1"+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+env.SecretKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if admin(http.MethodPost, "/users", map[string]any{"email_address": []string{"ann@example.com"}, "password": password}) != 200 ||
		admin(http.MethodPost, "/blocklist_identifiers", map[string]any{"identifier": "*@blocked.example"}) != 200 ||
		admin(http.MethodPatch, "/instance/restrictions", map[string]any{"blocklist": true}) != 200 {
		t.Fatal("set-up through the Backend API failed")
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	submit := func(pagePath, action string, form url.Values) (*http.Response, string) {
		t.Helper()
		_, html := get(t, browser, env.PublicURL+pagePath)
		m := csrfRE.FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("no csrf_token on %s", pagePath)
		}
		form.Set("csrf_token", m[1])
		res, err := browser.PostForm(env.PublicURL+action, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	if res, _ := submit("/sign-in", "/sign-in", url.Values{"identifier": {"ann@example.com"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	if res, _ := submit("/sign-in/factor", "/sign-in/password", url.Values{"password": {password}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("password: %d", res.StatusCode)
	}
	for _, addr := range []string{"Ann+Alt@BLOCKED.example", "ann@Mail.Blocked.Example"} {
		res, html := submit("/user", "/user/emails", url.Values{"email_address": {addr}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(html, "not allowed to access this application") {
			t.Errorf("adding %s: %d, want 403 with the refusal", addr, res.StatusCode)
		}
	}
	if res, _ := submit("/user", "/user/emails", url.Values{"email_address": {"ann.work@example.com"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding an unblocked address: %d", res.StatusCode)
	}
}
