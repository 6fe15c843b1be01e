package oauth_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/oauthapplication"
)

// sdkStatus is the HTTP status of a clerk-sdk-go error (0 for none).
func sdkStatus(err error) int {
	var apiErr *clerk.APIErrorResponse
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestBackendAPIWithClerkSDK manages applications with clerk-sdk-go v2.
func TestBackendAPIWithClerkSDK(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	base, key := r.env.AdminURL+"/v1", r.env.SecretKey
	sdk := oauthapplication.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{URL: &base, Key: &key}})

	created, err := sdk.Create(ctx, &oauthapplication.CreateParams{Name: "SDK App", CallbackURL: rigRedirect,
		Scopes: "openid profile email offline_access", ConsentScreenEnabled: clerk.Bool(false)})
	if err != nil || created.ClientSecret == nil || *created.ClientSecret == "" || created.ClientID == "" || created.ID == "" {
		t.Fatalf("create: %v %+v", err, created)
	}
	if created.Object != "oauth_application" || created.Name != "SDK App" || created.CallbackURL != rigRedirect || created.Public ||
		created.ConsentScreenEnabled || created.DiscoveryURL != r.env.PublicURL+"/.well-known/openid-configuration" ||
		created.AuthorizeURL != r.env.PublicURL+"/oauth/authorize" || created.TokenFetchURL != r.env.PublicURL+"/oauth/token" ||
		created.UserInfoURL != r.env.PublicURL+"/oauth/userinfo" || created.Scopes != "email offline_access openid profile" {
		t.Fatalf("created %+v", created)
	}
	app := rigApp{ID: created.ID, ClientID: created.ClientID, Secret: *created.ClientSecret, Redirect: rigRedirect}

	// The secret is shown once.
	got, err := sdk.Get(ctx, created.ID)
	if err != nil || got.ClientSecret != nil || got.ClientID != created.ClientID {
		t.Fatalf("get: %v %+v", err, got)
	}
	var raw map[string]any
	admin(t, r.env, "GET", "/oauth_applications/"+created.ID, nil, &raw)
	if _, ok := raw["client_secret"]; ok {
		t.Fatalf("GET returns the secret: %v", raw)
	}

	pub, err := sdk.Create(ctx, &oauthapplication.CreateParams{Name: "SDK Public", CallbackURL: "http://localhost:3000/cb", Public: true})
	if err != nil || pub.ClientSecret != nil || !pub.Public {
		t.Fatalf("create public: %v %+v", err, pub)
	}
	if _, err := sdk.RotateClientSecret(ctx, pub.ID); sdkStatus(err) != 422 {
		t.Fatalf("rotating a public client's secret: %v", err)
	}
	if _, err := sdk.Create(ctx, &oauthapplication.CreateParams{Name: "Bad", CallbackURL: "javascript:alert(1)"}); sdkStatus(err) != 422 {
		t.Fatalf("a javascript: callback: %v", err)
	}

	list, err := sdk.List(ctx, &oauthapplication.ListParams{})
	if err != nil || list.TotalCount != 2 || len(list.OAuthApplications) != 2 {
		t.Fatalf("list: %v %+v", err, list)
	}
	for _, a := range list.OAuthApplications {
		if a.ClientSecret != nil {
			t.Fatal("list returns secrets")
		}
	}
	limit := int64(1)
	page, err := sdk.List(ctx, &oauthapplication.ListParams{ListParams: clerk.ListParams{Limit: &limit}})
	if err != nil || page.TotalCount != 2 || len(page.OAuthApplications) != 1 {
		t.Fatalf("list limit 1: %v %+v", err, page)
	}

	name, cb := "SDK App Renamed", "https://rp.example.com/cb2"
	updated, err := sdk.Update(ctx, created.ID, &oauthapplication.UpdateParams{Name: &name, CallbackURL: &cb})
	if err != nil || updated.Name != name || updated.CallbackURL != cb || updated.ClientSecret != nil {
		t.Fatalf("update: %v %+v", err, updated)
	}
	if got, _ := sdk.Get(ctx, created.ID); got.Name != name || got.CallbackURL != cb {
		t.Fatalf("after update: %+v", got)
	}
	// The old callback no longer works; the new one does.
	res, _ := r.authorize(r.browser, r.authorizeParams(app, "openid"))
	if res.StatusCode != 400 {
		t.Fatalf("authorize with the replaced callback: %d", res.StatusCode)
	}
	app.Redirect = cb

	// Rotation: the old secret stops working at once.
	cc := url.Values{"grant_type": {"client_credentials"}}
	if s, out := r.token(app, cc); s != 200 {
		t.Fatalf("client_credentials before rotation: %d %v", s, out)
	}
	rotated, err := sdk.RotateClientSecret(ctx, created.ID)
	if err != nil || rotated.ClientSecret == nil || *rotated.ClientSecret == app.Secret {
		t.Fatalf("rotate: %v %+v", err, rotated)
	}
	if s, out := r.token(app, cc); s != 401 || str(out, "error") != "invalid_client" {
		t.Fatalf("the old secret after rotation: %d %v", s, out)
	}
	app.Secret = *rotated.ClientSecret
	if s, out := r.token(app, cc); s != 200 {
		t.Fatalf("the new secret: %d %v", s, out)
	}
	if got, _ := sdk.Get(ctx, created.ID); got.ClientSecret != nil {
		t.Fatal("get after rotation shows the secret")
	}

	// revoke_token and access_tokens/verify, over plain HTTP.
	tok := r.tokens(app, "openid profile offline_access")
	var info map[string]any
	if s := admin(t, r.env, "POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": str(tok, "access_token")}, &info); s != 200 ||
		info["client_id"] != app.ClientID || info["subject"] != r.userID || info["revoked"] != false || info["expired"] != false ||
		!slices.Equal(anyStrings(info["scopes"]), []string{"offline_access", "openid", "profile"}) {
		t.Fatalf("verify: %d %v", s, info)
	}
	if s := admin(t, r.env, "POST", "/oauth_applications/access_tokens/verify", map[string]any{}, nil); s != 422 {
		t.Fatalf("verify without a token: %d", s)
	}
	// Another application cannot revoke it.
	if s := admin(t, r.env, "POST", "/oauth_applications/"+pub.ID+"/revoke_token", map[string]any{"token": str(tok, "access_token")}, nil); s != 200 {
		t.Fatalf("revoke_token through another app: %d", s)
	}
	if s, _, _ := r.userinfo(str(tok, "access_token")); s != 200 {
		t.Fatalf("another application revoked the token: %d", s)
	}
	if s := admin(t, r.env, "POST", "/oauth_applications/"+created.ID+"/revoke_token", map[string]any{"token": str(tok, "refresh_token")}, nil); s != 200 {
		t.Fatalf("revoke_token: %d", s)
	}
	if s, _, _ := r.userinfo(str(tok, "access_token")); s != 401 {
		t.Fatalf("userinfo after revoke_token of the refresh token: %d", s)
	}
	if s := admin(t, r.env, "POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": str(tok, "access_token")}, nil); s != 404 {
		t.Fatalf("verify of a revoked token: %d", s)
	}
	if s := admin(t, r.env, "POST", "/oauth_applications/nope/revoke_token", map[string]any{"token": "x"}, nil); s != 404 {
		t.Fatalf("revoke_token of an unknown app: %d", s)
	}
	if s := admin(t, r.env, "POST", "/oauth_applications/"+created.ID+"/revoke_token", map[string]any{}, nil); s != 422 {
		t.Fatalf("revoke_token without a token: %d", s)
	}

	// Deleting an application ends everything it was given.
	live := r.tokens(app, "openid offline_access")
	_, ccTok := r.token(app, cc)
	deleted, err := sdk.DeleteOAuthApplication(ctx, created.ID)
	if err != nil || !deleted.Deleted || deleted.ID != created.ID {
		t.Fatalf("delete: %v %+v", err, deleted)
	}
	if _, err := sdk.Get(ctx, created.ID); sdkStatus(err) != 404 {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := sdk.DeleteOAuthApplication(ctx, created.ID); sdkStatus(err) != 404 {
		t.Fatalf("delete twice: %v", err)
	}
	if s, out := r.token(app, cc); s != 401 {
		t.Fatalf("a deleted app authenticated: %d %v", s, out)
	}
	if s, _, _ := r.userinfo(str(live, "access_token")); s != 401 {
		t.Fatalf("userinfo with a deleted app's token: %d", s)
	}
	for _, at := range []string{str(live, "access_token"), str(ccTok, "access_token")} {
		if s := admin(t, r.env, "POST", "/oauth_applications/access_tokens/verify", map[string]any{"access_token": at}, nil); s != 404 {
			t.Fatalf("verify of a deleted app's token: %d", s)
		}
	}
	if list, _ := sdk.List(ctx, &oauthapplication.ListParams{}); list.TotalCount != 1 {
		t.Fatalf("list after delete: %+v", list)
	}
}

func anyStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, s := range l {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
