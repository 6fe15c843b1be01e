package wallet_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/social/upstreamtest"
)

// A backend fetches a user's provider token; once the upstream access token
// has really expired (2s lifetime), the wallet refreshes it, saves the
// upstream's rotated refresh token, and hands out a token the upstream
// accepts. clerk-sdk-go's user.ListOAuthAccessTokens reads the same.
func TestWalletRefreshesAfterUpstreamExpiry(t *testing.T) {
	s := newStack(t, upstreamtest.Client{AccessTokenTTL: 2 * time.Second},
		func(c *config.Config) { c.TokenWallet.RefreshMargin = 0 })
	ctx := context.Background()
	acct := s.connect("ada")

	// Fresh: handed out as stored, no upstream call.
	first := s.tokens(acct.userID)
	if len(first) != 1 {
		t.Fatalf("tokens %+v", first)
	}
	got := first[0]
	if got.Object != "oauth_access_token" || got.ExternalAccountID != acct.accountID || got.ProviderUserID != "ada" ||
		got.Token != acct.tok.AccessToken || got.Provider != provider || string(got.PublicMetadata) != "{}" ||
		got.Label != nil || got.ExpiresAt == nil || got.IDToken == "" ||
		strings.Join(got.Scopes, " ") != "openid offline_access email profile" {
		t.Fatalf("wallet answered %+v", got)
	}
	if st := s.up.Stats(); st.Refreshes != 0 {
		t.Fatalf("refreshed a fresh token: %+v", st)
	}

	// Really expired upstream, and on our clock.
	time.Sleep(time.Until(acct.tok.Expiry) + 300*time.Millisecond)
	s.env.Clock.Advance(3 * time.Second)
	if s.upstreamAccepts(acct.tok.AccessToken) {
		t.Fatal("the upstream still accepts the expired token; the test proves nothing")
	}
	list, err := s.users.ListOAuthAccessTokens(ctx, &user.ListOAuthAccessTokensParams{ID: acct.userID, Provider: provider})
	if err != nil {
		t.Fatalf("clerk-sdk-go ListOAuthAccessTokens: %v", err)
	}
	if list.TotalCount != 1 || len(list.OAuthAccessTokens) != 1 {
		t.Fatalf("sdk list %+v", list)
	}
	fresh := list.OAuthAccessTokens[0]
	if fresh.Token == acct.tok.AccessToken || fresh.ExternalAccountID != acct.accountID || fresh.Provider != provider ||
		fresh.Label != nil || string(fresh.PublicMetadata) != "{}" || len(fresh.Scopes) != 4 {
		t.Fatalf("sdk token %+v", fresh)
	}
	if !s.upstreamAccepts(fresh.Token) {
		t.Fatal("the upstream rejects the refreshed token")
	}
	if st := s.up.Stats(); st.Refreshes != 1 {
		t.Fatalf("stats %+v, want one refresh", st)
	}
	// The rotated refresh token was saved; the next refresh uses it.
	rotated := s.storedRefreshToken(acct.accountID)
	if rotated == acct.tok.RefreshToken {
		t.Fatal("the rotated refresh token was not saved")
	}
	// Cached now: asking again (the provider name without oauth_, as Clerk
	// allows) hands out the same token without calling the upstream.
	var again []walletToken
	if st := s.call(http.MethodGet, "/users/"+acct.userID+"/oauth_access_tokens/custom_acme", &again); st != http.StatusOK ||
		len(again) != 1 || again[0].Token != fresh.Token {
		t.Fatalf("again: %d %+v", st, again)
	}
	time.Sleep(2300 * time.Millisecond)
	s.env.Clock.Advance(3 * time.Second)
	third := s.tokens(acct.userID)
	if third[0].Token == fresh.Token || !s.upstreamAccepts(third[0].Token) || s.storedRefreshToken(acct.accountID) == rotated {
		t.Fatal("the second refresh did not use the rotated refresh token")
	}
	if st := s.up.Stats(); st.Refreshes != 2 || st.RefreshFailures != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Twenty concurrent wallet calls for one expired account cause exactly one
// upstream refresh (counted at the upstream) and all get the new token: the
// row lock in Postgres serialises them, as it would across replicas.
func TestWalletConcurrentCallsRefreshOnce(t *testing.T) {
	s := newStack(t, upstreamtest.Client{})
	acct := s.connect("grace")
	s.env.Clock.Advance(2 * time.Hour) // expired on our clock

	var wg sync.WaitGroup
	got := make([]string, 20)
	errs := make(chan error, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []walletToken
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/users/%s/oauth_access_tokens/%s",
				s.env.AdminURL, acct.userID, provider), nil)
			req.Header.Set("Authorization", "Bearer "+s.env.SecretKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
				return
			}
			if err := decode(resp, &out); err != nil || len(out) != 1 {
				errs <- fmt.Errorf("decode: %v %+v", err, out)
				return
			}
			got[i] = out[0].Token
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, tok := range got {
		if tok != got[0] || tok == acct.tok.AccessToken {
			t.Fatalf("call %d got %q, call 0 %q (old %q)", i, tok, got[0], acct.tok.AccessToken)
		}
	}
	if st := s.up.Stats(); st.Refreshes != 1 || st.RefreshesByAccount["grace"] != 1 || st.RefreshFailures != 0 {
		t.Fatalf("upstream stats %+v, want exactly one refresh", st)
	}
	if !s.upstreamAccepts(got[0]) {
		t.Fatal("the upstream rejects the refreshed token")
	}
}

// The user revokes the grant at the provider: the refresh fails with
// invalid_grant, the account is marked as needing re-authorization with the
// reason, and the wallet answers with a clear error from then on, without
// asking the upstream again.
func TestWalletRevokedGrantNeedsReauthorization(t *testing.T) {
	s := newStack(t, upstreamtest.Client{})
	acct := s.connect("hopper")
	if n := s.up.RevokeGrants("hopper"); n == 0 {
		t.Fatal("nothing revoked")
	}
	s.env.Clock.Advance(2 * time.Hour)

	for range 2 {
		var e clerkErrors
		st := s.call(http.MethodGet, "/users/"+acct.userID+"/oauth_access_tokens/"+provider, &e)
		if st != http.StatusUnprocessableEntity || len(e.Errors) != 1 || e.Errors[0].Code != "oauth_token_retrieval_error" ||
			e.Errors[0].Meta["needs_reauthorization"] != true || e.Errors[0].Meta["external_account_id"] != acct.accountID ||
			!strings.Contains(e.Errors[0].LongMessage, "connect the account again") {
			t.Fatalf("wallet: %d %+v", st, e)
		}
		if strings.Contains(fmt.Sprint(e), acct.tok.AccessToken) {
			t.Fatal("the error leaks the stale token")
		}
	}
	var needs bool
	var reason string
	if err := s.env.DB.Pool.QueryRow(context.Background(), `SELECT needs_reauthorization, reauthorization_reason
		FROM external_accounts WHERE id = $1`, acct.accountID).Scan(&needs, &reason); err != nil {
		t.Fatal(err)
	}
	if !needs || !strings.Contains(reason, "invalid_grant") {
		t.Fatalf("account: needs_reauthorization %v, reason %q", needs, reason)
	}
	if st := s.up.Stats(); st.RefreshFailures != 1 || st.Refreshes != 0 {
		t.Fatalf("upstream stats %+v, want one refused refresh and no retry", st)
	}
}

// Tokens are sealed at rest: the row's bytes contain none of them (in clear
// or hex), and a ciphertext moved to another account's row does not open.
func TestWalletTokensEncryptedAtRest(t *testing.T) {
	s := newStack(t, upstreamtest.Client{})
	ctx := context.Background()
	a := s.connect("lovelace")
	b := s.connect("babbage")
	s.env.Clock.Advance(2 * time.Hour)
	fresh := s.tokens(a.userID)[0] // a refresh, so the wallet's own writes are checked too

	var row string
	if err := s.env.DB.Pool.QueryRow(ctx, `SELECT t::text FROM external_accounts t WHERE id = $1`, a.accountID).Scan(&row); err != nil {
		t.Fatal(err)
	}
	idToken, _ := a.tok.Extra("id_token").(string)
	for name, secret := range map[string]string{"access token": fresh.Token, "refresh token": s.storedRefreshToken(a.accountID),
		"old access token": a.tok.AccessToken, "old refresh token": a.tok.RefreshToken, "id token": idToken} {
		if strings.Contains(row, secret) || strings.Contains(row, hex.EncodeToString([]byte(secret))) {
			t.Fatalf("the row holds the %s in clear: %s", name, row)
		}
	}

	// b's row (not due for a refresh) with a's sealed access token: the
	// wallet refuses to open it.
	if _, err := s.env.DB.Pool.Exec(ctx, `UPDATE external_accounts SET access_token_enc =
		(SELECT access_token_enc FROM external_accounts WHERE id = $1), token_expires_at = $3 WHERE id = $2`,
		a.accountID, b.accountID, s.env.Clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var e clerkErrors
	st := s.call(http.MethodGet, "/users/"+b.userID+"/oauth_access_tokens/"+provider, &e)
	if st != http.StatusInternalServerError || strings.Contains(fmt.Sprint(e), fresh.Token) {
		t.Fatalf("moved ciphertext: %d %+v", st, e)
	}
}
