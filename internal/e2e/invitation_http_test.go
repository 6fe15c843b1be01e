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
