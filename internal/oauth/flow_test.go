package oauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

// admin calls the Backend API.
func admin(t *testing.T, env *testserver.Env, method, path string, body any, out any) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, env.AdminURL+"/v1"+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+env.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %s", method, path, b)
		}
	}
	return res.StatusCode
}

// signedInBrowser returns a cookie-jar client signed in as a new user, and the user id.
func signedInBrowser(t *testing.T, env *testserver.Env, email string) (*http.Client, string) {
	t.Helper()
	var u struct{ ID string }
	admin(t, env, "POST", "/users", map[string]any{"email_address": []string{email}, "password": "a-long-passphrase-42",
		"first_name": "Ada", "last_name": "Lovelace"}, &u)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(env.PublicURL+"/v1/client/sign_ins", url.Values{"identifier": {email}, "strategy": {"password"}, "password": {"a-long-passphrase-42"}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("sign in: %v %v", res, err)
	}
	res.Body.Close()
	return c, u.ID
}

func TestCodeFlowWithGoOIDC(t *testing.T) {
	t.Parallel()
	env := testserver.StartListening(t)
	browser, userID := signedInBrowser(t, env, "ada@example.com")
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		DiscoveryURL string `json:"discovery_url"`
	}
	redirect := "https://rp.example.com/callback"
	if s := admin(t, env, "POST", "/oauth_applications", map[string]any{"name": "RP", "redirect_uris": []string{redirect},
		"scopes": "openid profile email offline_access", "consent_screen_enabled": false}, &app); s != 200 || app.ClientSecret == "" {
		t.Fatalf("create app: %d %+v", s, app)
	}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, env.Server.Config.PublicURL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: app.ClientID, ClientSecret: app.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "profile", "email", "offline_access"}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0nce"))
	res, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), redirect) || loc.Query().Get("state") != "st4te" ||
		loc.Query().Get("iss") != env.Server.Config.PublicURL {
		t.Fatalf("authorize answered %d %s", res.StatusCode, loc)
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: app.ClientID}).Verify(ctx, rawID)
	if err != nil || idt.Subject != userID || idt.Nonce != "n0nce" {
		t.Fatalf("id token: %v %+v", err, idt)
	}
	var claims struct {
		Email    string `json:"email"`
		Verified bool   `json:"email_verified"`
		Name     string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email != "ada@example.com" || !claims.Verified || claims.Name != "Ada Lovelace" {
		t.Fatalf("id token claims %+v %v", claims, err)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != userID || info.Email != "ada@example.com" {
		t.Fatalf("userinfo: %v %+v", err, info)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	// Refresh rotates; the spent token then revokes the whole grant.
	old := tok.RefreshToken
	tok.Expiry = tok.Expiry.Add(-3 * 3600e9)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil || fresh.RefreshToken == "" || fresh.RefreshToken == old {
		t.Fatalf("refresh: %v %+v", err, fresh)
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token(); err == nil {
		t.Fatal("a spent refresh token worked")
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh)); err == nil {
		t.Fatal("userinfo accepted a token of a revoked grant")
	}
	_ = sha256.New
	_ = base64.RawURLEncoding
}

// With opaque access tokens the same flow works, and revocation bites at once.
func TestOpaqueAccessTokens(t *testing.T) {
	t.Parallel()
	env := testserver.StartListening(t, func(c *config.Config) { c.OAuth.AccessTokenFormat = "opaque" })
	browser, userID := signedInBrowser(t, env, "opaque@example.com")
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	redirect := "https://rp.example.com/callback"
	admin(t, env, "POST", "/oauth_applications", map[string]any{"name": "RP", "redirect_uris": []string{redirect},
		"scopes": "openid email offline_access", "consent_screen_enabled": false}, &app)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, env.Server.Config.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: app.ClientID, ClientSecret: app.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "email"}}
	verifier := oauth2.GenerateVerifier()
	res, err := browser.Get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || !strings.HasPrefix(tok.AccessToken, "lkat_") {
		t.Fatalf("exchange: %v %q", err, tok.AccessToken)
	}
	var n int
	if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM oauth_access_tokens WHERE position($1 in encode(token_hash,'escape')) > 0`, tok.AccessToken).Scan(&n); err != nil || n != 0 {
		t.Fatal("the opaque token is stored in clear")
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != userID || info.Email != "opaque@example.com" {
		t.Fatalf("userinfo: %v %+v", err, info)
	}
	form := url.Values{"token": {tok.AccessToken}}
	req, _ := http.NewRequest("POST", env.Server.Config.PublicURL+"/oauth/token/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, app.ClientSecret)
	rres, err := http.DefaultClient.Do(req)
	if err != nil || rres.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", rres, err)
	}
	rres.Body.Close()
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Fatal("a revoked opaque token still works at userinfo")
	}
}
