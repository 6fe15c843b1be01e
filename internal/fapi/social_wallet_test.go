package fapi_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/social/upstreamtest"
	tokenwallet "github.com/latchkey/latchkey/internal/social/wallet"
)

// The tokens a real sign-in stores are the ones the token wallet hands out
// and refreshes: sealed as the wallet reads them, with their expiry, scopes
// and refresh token. After the upstream access token expires the wallet
// refreshes it (the provider rotates the refresh token); a grant the user
// revoked at the provider marks the account as needing re-authorization,
// and re-authorizing through the frontend API clears it.
func TestSocialSignInTokensInTheWallet(t *testing.T) {
	const ttl = 2 * time.Second
	h, up := startUpstreamClient(t, upstreamtest.Options{}, upstreamtest.Client{AccessTokenTTL: ttl}, func(c *config.Config) {
		c.Social.Connections[0].Scopes = []string{"offline_access"} // as the README shows
		c.TokenWallet.RefreshMargin = 0                             // refresh only what has expired
	})
	up.account("acme-w", "wal@example.com", true)
	b := h.browser()
	r := b.post("/client/sign_ins", form("strategy", "oauth_custom_acme", "redirect_url", appCallback)).ok(t)
	authURL := startURL(t, r)
	if q := mustQuery(t, authURL); q.Get("prompt") != "consent" || !strings.Contains(" "+q.Get("scope")+" ", " offline_access ") {
		t.Fatalf("offline_access must be asked with prompt=consent (OIDC Core §11): %s", authURL)
	}
	redirectsToApp(t, b.callback(t, up.back(t, authURL)), appCallback)
	uid := b.signedInUserID(t)
	ext := h.userExternal(uid)
	if len(ext) != 1 || !strings.Contains(ext[0].ApprovedScopes, "offline_access") {
		t.Fatalf("external account: %+v", ext)
	}
	acct := ext[0].ID
	access, refresh := h.storedTokens(acct)
	if refresh == "" || !upstreamAccepts(t, up.real, access) {
		t.Fatalf("stored tokens: access accepted=%v, refresh token %q", upstreamAccepts(t, up.real, access), refresh)
	}

	sdk := h.sdkUsers()
	list := func() []*clerk.OAuthAccessToken {
		t.Helper()
		l, err := sdk.ListOAuthAccessTokens(context.Background(), &user.ListOAuthAccessTokensParams{ID: uid, Provider: "oauth_custom_acme"})
		if err != nil {
			t.Fatalf("ListOAuthAccessTokens: %v", err)
		}
		if len(l.OAuthAccessTokens) != 1 || l.TotalCount != 1 {
			t.Fatalf("wallet: %+v", l)
		}
		return l.OAuthAccessTokens
	}
	// As stored by the sign-in: the same token, no refresh yet.
	if got := list()[0]; got.Token != access || got.ExternalAccountID != acct || !slices.Contains(got.Scopes, "offline_access") {
		t.Fatalf("wallet before expiry: %+v", got)
	}
	if st := up.real.Stats(); st.Refreshes != 0 {
		t.Fatalf("refreshed before expiry: %+v", st)
	}

	// Time passes at the provider and, in step, on Latchkey's clock (ahead
	// of the provider's, it would take fresh ID tokens for expired ones).
	elapse := func(d time.Duration) { time.Sleep(d); h.env.Clock.Advance(d) }

	// The upstream token expires: the wallet refreshes it, the provider
	// rotates the refresh token, and the rotated one is what is stored now.
	elapse(ttl + 500*time.Millisecond)
	if upstreamAccepts(t, up.real, access) {
		t.Fatal("the upstream still takes the expired token")
	}
	fresh := list()[0].Token
	if fresh == access || !upstreamAccepts(t, up.real, fresh) {
		t.Fatalf("after expiry the wallet gave %q (old %q)", fresh, access)
	}
	if _, rotated := h.storedTokens(acct); rotated == refresh || rotated == "" {
		t.Fatal("the rotated refresh token was not saved")
	}
	if st := up.real.Stats(); st.Refreshes != 1 || st.RefreshFailures != 0 {
		t.Fatalf("upstream counters: %+v", st)
	}

	// The user revokes the grant at the provider: the next refresh is
	// refused, and the account needs re-authorization.
	up.real.RevokeGrants("acme-w")
	elapse(ttl + 500*time.Millisecond)
	var e struct {
		Errors []struct {
			Code string         `json:"code"`
			Meta map[string]any `json:"meta"`
		} `json:"errors"`
	}
	if st := h.admin(http.MethodGet, "/users/"+uid+"/oauth_access_tokens/oauth_custom_acme", nil, &e); st != http.StatusUnprocessableEntity ||
		len(e.Errors) != 1 || e.Errors[0].Code != "oauth_token_retrieval_error" || e.Errors[0].Meta["needs_reauthorization"] != true {
		t.Fatalf("wallet after a revoked grant: %d %+v", st, e)
	}
	if ext := h.userExternal(uid); ext[0].NeedsReauthorization == nil || !*ext[0].NeedsReauthorization {
		t.Fatalf("the Backend API does not show needs_reauthorization: %+v", ext)
	}

	// Re-authorizing (the account page's Reconnect does the same) clears it.
	r = b.do(http.MethodPatch, "/me/external_accounts/"+acct+"/reauthorize", form("redirect_url", appOrigin+"/account")).ok(t)
	redirectsToApp(t, b.callback(t, up.back(t, startURL(t, r))), appOrigin+"/account")
	if ext := h.userExternal(uid); len(ext) != 1 || ext[0].NeedsReauthorization == nil || *ext[0].NeedsReauthorization {
		t.Fatalf("after re-authorizing: %+v", ext)
	}
	if again := list()[0].Token; !upstreamAccepts(t, up.real, again) {
		t.Fatal("the wallet's token after re-authorizing is not accepted upstream")
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// storedTokens opens an external account's sealed access and refresh
// tokens the way the token wallet does.
func (h *harness) storedTokens(accountID string) (access, refresh string) {
	h.t.Helper()
	key, err := base64.StdEncoding.DecodeString(h.env.Config.Keys.EncryptionKey)
	if err != nil {
		h.t.Fatal(err)
	}
	box, err := keys.NewBox(key)
	if err != nil {
		h.t.Fatal(err)
	}
	var accessEnc, refreshEnc []byte
	if err := h.env.DB.Pool.QueryRow(context.Background(), `SELECT access_token_enc, refresh_token_enc
		FROM external_accounts WHERE id = $1`, accountID).Scan(&accessEnc, &refreshEnc); err != nil {
		h.t.Fatal(err)
	}
	open := func(enc []byte, column string) string {
		if enc == nil {
			return ""
		}
		pt, err := box.Open(enc, tokenwallet.AAD(accountID, column))
		if err != nil {
			h.t.Fatalf("open %s of %s: %v", column, accountID, err)
		}
		return string(pt)
	}
	return open(accessEnc, tokenwallet.ColumnAccessToken), open(refreshEnc, tokenwallet.ColumnRefreshToken)
}

// sdkUsers is clerk-sdk-go's users client pointed at the Backend API.
func (h *harness) sdkUsers() *user.Client {
	cfg := &clerk.ClientConfig{}
	cfg.Key = clerk.String(h.env.SecretKey)
	cfg.URL = clerk.String(h.env.AdminURL + "/v1")
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	return user.NewClient(cfg)
}

// upstreamAccepts reports whether the provider's userinfo takes the token.
func upstreamAccepts(t *testing.T, p *upstreamtest.Provider, accessToken string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.Issuer+"/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
