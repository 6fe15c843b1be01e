package upstreamtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

const callback = "http://127.0.0.1:1/v1/oauth_callback"

func TestDiscoveryAndAdminGuard(t *testing.T) {
	up := upstreamtest.Start(t)

	provider, err := oidc.NewProvider(context.Background(), up.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	var meta struct {
		Issuer                      string   `json:"issuer"`
		AuthorizationEndpoint       string   `json:"authorization_endpoint"`
		TokenEndpoint               string   `json:"token_endpoint"`
		UserinfoEndpoint            string   `json:"userinfo_endpoint"`
		ScopesSupported             []string `json:"scopes_supported"`
		IssParameterSupported       bool     `json:"authorization_response_iss_parameter_supported"`
		CodeChallengeMethods        []string `json:"code_challenge_methods_supported"`
		RevocationEndpoint          string   `json:"revocation_endpoint"`
		TokenEndpointAuthMethods    []string `json:"token_endpoint_auth_methods_supported"`
		IDTokenSigningAlgsSupported []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	client := up.NewClient(callback)
	ep := up.Endpoint(client)
	if meta.Issuer != up.Issuer || meta.AuthorizationEndpoint != ep.AuthURL || meta.TokenEndpoint != ep.TokenURL {
		t.Fatalf("discovery %+v does not match issuer %s and endpoint %+v", meta, up.Issuer, ep)
	}
	if !meta.IssParameterSupported || !strings.Contains(strings.Join(meta.ScopesSupported, " "), "offline_access") {
		t.Fatalf("want the iss response parameter and offline_access: %+v", meta)
	}

	// The admin API answers only to its token.
	for _, auth := range []string{"", "Bearer wrong"} {
		req, _ := http.NewRequest(http.MethodGet, up.Issuer+"/admin/stats", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("admin with %q: status %d, want 401", auth, resp.StatusCode)
		}
	}
}

// A relying party's code flow with x/oauth2 and go-oidc: the ID token and
// userinfo carry the account's claims exactly as defined, the callback
// carries iss, and login choice follows LoginAs and login_hint.
func TestCodeFlowWithGoOIDC(t *testing.T) {
	up := upstreamtest.Start(t)
	ctx := context.Background()
	up.AddAccount("alice-sub", map[string]any{
		"email": "alice@example.com", "email_verified": true, "name": "Alice Liddell",
		"given_name": "Alice", "family_name": "Liddell", "picture": "https://img.example/alice.png",
	})
	up.AddAccount("bob-sub", map[string]any{"email": "bob@example.com", "email_verified": "true"})
	up.AddAccount("carol-sub", map[string]any{"email": "carol@example.com"})
	client := up.NewClient(callback)
	cfg := up.OAuth2Config(client, oidc.ScopeOpenID, "email", "profile")
	provider, err := oidc.NewProvider(ctx, up.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: client.ID})

	// The callback carries code, state and iss (RFC 9207).
	up.LoginAs("alice-sub")
	back := up.Authorize(cfg.AuthCodeURL("st4te", oidc.Nonce("n0nce"), oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if got := back.Scheme + "://" + back.Host + back.Path; got != callback {
		t.Fatalf("redirected to %s, want %s", back, callback)
	}
	if q := back.Query(); q.Get("code") == "" || q.Get("state") != "st4te" || q.Get("iss") != up.Issuer {
		t.Fatalf("callback query %v: want code, state and iss", q)
	}

	type claims struct {
		Sub           string `json:"sub"`
		Nonce         string `json:"nonce"`
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
		Picture       string `json:"picture"`
	}
	login := func(sub, hint string) (claims, claims) {
		t.Helper()
		up.LoginAs(sub)
		opts := []oauth2.AuthCodeOption{oidc.Nonce("n-" + sub)}
		if hint != "" {
			opts = append(opts, oauth2.SetAuthURLParam("login_hint", hint))
		}
		tok := up.CodeFlow(cfg, opts...)
		raw, _ := tok.Extra("id_token").(string)
		idToken, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("verify ID token: %v", err)
		}
		var fromID, fromUserinfo claims
		if err := idToken.Claims(&fromID); err != nil {
			t.Fatal(err)
		}
		info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if err := info.Claims(&fromUserinfo); err != nil {
			t.Fatal(err)
		}
		return fromID, fromUserinfo
	}

	id, info := login("alice-sub", "")
	want := claims{Sub: "alice-sub", Email: "alice@example.com", EmailVerified: true, Name: "Alice Liddell",
		GivenName: "Alice", FamilyName: "Liddell", Picture: "https://img.example/alice.png"}
	info.Nonce, want.Nonce = "", "n-alice-sub"
	if id != want {
		t.Fatalf("ID token claims %+v, want %+v", id, want)
	}
	want.Nonce = ""
	if info != want {
		t.Fatalf("userinfo claims %+v, want %+v", info, want)
	}

	// email_verified exactly as the account has it: a string, or absent.
	if id, _ := login("bob-sub", ""); id.Sub != "bob-sub" || id.EmailVerified != "true" {
		t.Fatalf("bob: %+v, want email_verified as the string \"true\"", id)
	}
	if id, _ := login("carol-sub", ""); id.Sub != "carol-sub" || id.EmailVerified != nil {
		t.Fatalf("carol: %+v, want no email_verified", id)
	}
	// A login_hint naming an account (by email here) wins over LoginAs.
	if id, _ := login("alice-sub", "carol@example.com"); id.Sub != "carol-sub" {
		t.Fatalf("login_hint: logged in %q, want carol-sub", id.Sub)
	}

	// A declining user: the client gets error=access_denied.
	up.DenyLogins()
	back = up.Authorize(cfg.AuthCodeURL("st"))
	if back.Query().Get("error") != "access_denied" {
		t.Fatalf("denied login came back as %s", back)
	}
}

// Refresh tokens rotate, the old one stops working, short lifetimes expire
// access tokens, and revoking the account's grant makes refresh fail with
// invalid_grant.
func TestRefreshRotationAndRevocation(t *testing.T) {
	up := upstreamtest.Start(t, upstreamtest.Options{ExtraScopes: map[string][]string{"calendar.read": nil}})
	ctx := context.Background()
	up.AddAccount("dana-sub", map[string]any{"email": "dana@example.com", "email_verified": true})
	client := upstreamtest.Client{ID: "latchkey", Secret: "s3cret", RedirectURIs: []string{callback},
		AuthMethod: "client_secret_post", AccessTokenTTL: 2 * time.Second}
	up.RegisterClient(client)
	cfg := up.OAuth2Config(client, oidc.ScopeOpenID, oidc.ScopeOfflineAccess, "email", "calendar.read")

	tok := up.CodeFlow(cfg, oauth2.SetAuthURLParam("prompt", "consent"))
	if tok.RefreshToken == "" {
		t.Fatalf("no refresh token with offline_access: scope %v", tok.Extra("scope"))
	}
	if scope, _ := tok.Extra("scope").(string); !strings.Contains(scope, "calendar.read") {
		t.Fatalf("granted scope %q lacks the extra scope calendar.read", scope)
	}
	if left := time.Until(tok.Expiry); left > 3*time.Second || left <= 0 {
		t.Fatalf("access token lives %v, want about 2s", left)
	}
	if st := up.Stats(); st.AuthorizationCodes != 1 || st.Refreshes != 0 {
		t.Fatalf("stats %+v", st)
	}

	// Expire, then refresh: a new access token and a rotated refresh token.
	time.Sleep(time.Until(tok.Expiry) + 100*time.Millisecond)
	fresh, err := cfg.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh did not rotate: old %+v new %+v", tok, fresh)
	}
	if st := up.Stats(); st.Refreshes != 1 || st.RefreshesByAccount["dana-sub"] != 1 {
		t.Fatalf("stats after one refresh %+v", st)
	}
	// The new refresh token works; the consumed one does not.
	again, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh with the rotated token: %v", err)
	}

	// The user revokes the grant at the provider: refresh fails with invalid_grant.
	if n := up.RevokeGrants("dana-sub"); n == 0 {
		t.Fatal("no grant revoked")
	}
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: again.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh after revocation: %v, want invalid_grant", err)
	}
	st := up.Stats()
	if st.Refreshes != 2 || st.RefreshFailures != 1 {
		b, _ := json.Marshal(st)
		t.Fatalf("stats %s", b)
	}
	// A new login grants again.
	if tok := up.CodeFlow(cfg, oauth2.SetAuthURLParam("prompt", "consent")); tok.RefreshToken == "" {
		t.Fatal("no refresh token after logging in again")
	}
}

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", resp.Request.URL, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
