package oauth_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A person sees the applications they allowed on the account page and can
// revoke one: its tokens stop working and the next request asks again.
func TestRevokeAccessFromAccountPage(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(map[string]any{"name": "Notes App", "consent_screen_enabled": true})
	form := hiddenInputs(consentPage2(t, r, r.authorizeParams(a, "openid email")))
	form.Set("decision", "allow")
	res, err := r.browser.PostForm(r.env.PublicURL+"/oauth/consent", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := location(t, res)
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code after consent: %s", loc)
	}
	status, tok, _ := r.post("/oauth/token", a.ClientID, a.Secret, url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {a.Redirect}})
	access, _ := tok["access_token"].(string)
	if status != 200 || access == "" {
		t.Fatalf("token: %d %v", status, tok)
	}

	_, page := r.get(r.browser, r.env.PublicURL+"/user")
	if !strings.Contains(page, "Notes App") {
		t.Fatalf("the account page does not list the connected app:\n%s", page)
	}
	m := regexp.MustCompile(`action="(/user/apps/[^"]+/revoke)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no revoke button")
	}
	res, err = r.browser.PostForm(r.env.PublicURL+m[1], url.Values{"csrf_token": {hiddenInputs(page).Get("csrf_token")}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %v %v", res, err)
	}
	res.Body.Close()

	req, _ := http.NewRequest("GET", r.env.PublicURL+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	ui, err := http.DefaultClient.Do(req)
	if err != nil || ui.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the revoked app's token still works at userinfo: %v %v", ui.StatusCode, err)
	}
	ui.Body.Close()
	consentPage2(t, r, r.authorizeParams(a, "openid email")) // asks again
}
