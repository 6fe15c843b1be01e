package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

// benchRedirectURI is registered for the benchmark's application; nothing
// listens there, the benchmark reads the code from the Location header.
const benchRedirectURI = "http://127.0.0.1/latchkey-bench/callback"

// benchScopes are what the code flow asks for: an ID token, userinfo claims
// and a refresh token.
const benchScopes = "openid profile email offline_access"

// fixture is what the scenarios share: an application, a user and a browser
// signed in as that user.
type fixture struct {
	appID, clientID, clientSecret string
	basicAuth                     string // "Basic ..." for the application
	userID                        string
	browser                       *http.Client // cookie jar holding the signed-in session

	sharedOnce sync.Once // one access token for the read-only scenarios
	shared     string
	sharedErr  error
}

// setUp creates the application and the user through the Backend API and
// signs the user in through the frontend API, then checks one code flow.
func setUp(ctx context.Context, t *target) (*fixture, error) {
	suffix := randomString(6)
	fx := &fixture{}
	var app struct {
		ID           string `json:"id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := t.backend(ctx, http.MethodPost, "/oauth_applications", map[string]any{
		"name": "latchkey bench " + suffix, "redirect_uris": []string{benchRedirectURI},
		"scopes": benchScopes, "consent_screen_enabled": false,
	}, &app); err != nil {
		return nil, fmt.Errorf("create application: %w", err)
	}
	fx.appID, fx.clientID, fx.clientSecret = app.ID, app.ClientID, app.ClientSecret
	fx.basicAuth = "Basic " + base64.StdEncoding.EncodeToString(
		[]byte(url.QueryEscape(app.ClientID)+":"+url.QueryEscape(app.ClientSecret)))

	email, password := "bench-"+strings.ToLower(suffix)+"@example.com", randomString(24)
	var user struct {
		ID string `json:"id"`
	}
	if err := t.backend(ctx, http.MethodPost, "/users", map[string]any{
		"email_address": []string{email}, "password": password, "first_name": "Bench", "last_name": "User",
	}, &user); err != nil {
		fx.tearDown(ctx, t)
		return nil, fmt.Errorf("create user: %w", err)
	}
	fx.userID = user.ID

	jar, _ := cookiejar.New(nil)
	fx.browser = &http.Client{Transport: t.transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := signIn(ctx, t, fx.browser, email, password); err != nil {
		fx.tearDown(ctx, t)
		return nil, err
	}
	if _, err := fx.codeFlow(ctx, t); err != nil {
		fx.tearDown(ctx, t)
		return nil, fmt.Errorf("a first code flow: %w", err)
	}
	return fx, nil
}

// signIn signs in with the password strategy of the frontend API; the
// session cookie lands in the browser's jar.
func signIn(ctx context.Context, t *target, browser *http.Client, email, password string) error {
	form := url.Values{"identifier": {email}, "strategy": {"password"}, "password": {password}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.public+"/v1/client/sign_ins", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := browser.Do(req)
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	drain(res)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("sign in: the frontend API answered %d", res.StatusCode)
	}
	return nil
}

// tearDown deletes what setUp created (its grants and tokens go with them).
func (fx *fixture) tearDown(ctx context.Context, t *target) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if fx.appID != "" {
		_ = t.backend(ctx, http.MethodDelete, "/oauth_applications/"+fx.appID, nil, nil)
	}
	if fx.userID != "" {
		_ = t.backend(ctx, http.MethodDelete, "/users/"+fx.userID, nil, nil)
	}
}

// randomString is n URL-safe random characters.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
