package fapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// clerk-sdk-go reads a user's external accounts (get and list) in Clerk's
// shape, never with a token in them.
func TestSocialExternalAccountsThroughClerkSDK(t *testing.T) {
	h, up := startUpstream(t, upstreamtest.Options{})
	up.account("acme-sdk", "sdk@example.com", true)
	b := h.browser()
	redirectsToApp(t, up.signIn(t, b), appCallback)
	uid := b.signedInUserID(t)

	cfg := &clerk.ClientConfig{}
	cfg.Key = clerk.String(h.env.SecretKey)
	cfg.URL = clerk.String(h.env.AdminURL + "/v1")
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	users := user.NewClient(cfg)
	u, err := users.Get(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.ExternalAccounts) != 1 {
		t.Fatalf("external accounts: %+v", u.ExternalAccounts)
	}
	ea := u.ExternalAccounts[0]
	if ea.Object != "external_account" || ea.Provider != "oauth_custom_acme" || ea.ProviderUserID != "acme-sdk" ||
		ea.EmailAddress != "sdk@example.com" || ea.FirstName != "Ada" || ea.Verification == nil ||
		ea.Verification.Status != "verified" || ea.Verification.Strategy != "oauth_custom_acme" {
		t.Fatalf("external account: %+v", ea)
	}
	list, err := users.List(context.Background(), &user.ListParams{})
	if err != nil || len(list.Users) != 1 || len(list.Users[0].ExternalAccounts) != 1 || list.Users[0].ExternalAccounts[0].ID != ea.ID {
		t.Fatalf("list: %+v, %v", list, err)
	}
	var raw map[string]any
	h.admin(http.MethodGet, "/users/"+uid, nil, &raw)
	for _, k := range []string{"access_token", "refresh_token", "access_token_enc", "id_token"} {
		if _, ok := raw["external_accounts"].([]any)[0].(map[string]any)[k]; ok {
			t.Fatalf("the user object shows %s", k)
		}
	}
}
