package oauth_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// activeSessions counts the browser's signed-in sessions via the frontend API.
func activeSessions(t *testing.T, env *testserver.Env, browser *http.Client) int {
	t.Helper()
	res, err := browser.Get(env.PublicURL + "/v1/client")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return len(regexp.MustCompile(`"object":"session"`).FindAll(body, -1))
}

// A link alone must not sign anybody out: no id_token_hint means the person
// confirms on a form bound to their browser.
func TestEndSessionWithoutHintNeedsConfirmation(t *testing.T) {
	t.Parallel()
	env := testserver.StartListening(t)
	browser, _ := signedInBrowser(t, env, "confirm@example.com")
	res, err := browser.Get(env.PublicURL + "/oauth/end_session")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || activeSessions(t, env, browser) != 1 {
		t.Fatalf("GET without a hint signed out or failed: %d", res.StatusCode)
	}
	token := regexp.MustCompile(`name="confirm" value="([^"]+)"`).FindSubmatch(page)
	if token == nil {
		t.Fatalf("no confirmation form:\n%s", page)
	}
	// Another browser's page cannot post the confirmation.
	forged, _ := http.PostForm(env.PublicURL+"/oauth/end_session", url.Values{"confirm": {string(token[1])}})
	forged.Body.Close()
	if activeSessions(t, env, browser) != 1 {
		t.Fatal("a forged confirmation signed the user out")
	}
	res, err = browser.PostForm(env.PublicURL+"/oauth/end_session", url.Values{"confirm": {string(token[1])}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || activeSessions(t, env, browser) != 0 {
		t.Fatalf("the confirmed sign-out did not happen: %d", res.StatusCode)
	}
}

// /sign-in?reauth=1 shows the form; only submitting it ends the session.
func TestReauthLinkDoesNotSignOut(t *testing.T) {
	t.Parallel()
	env := testserver.StartListening(t)
	browser, _ := signedInBrowser(t, env, "reauth@example.com")
	res, err := browser.Get(env.PublicURL + "/sign-in?reauth=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || activeSessions(t, env, browser) != 1 {
		t.Fatalf("GET /sign-in?reauth=1 signed the user out (%d)", res.StatusCode)
	}
}
