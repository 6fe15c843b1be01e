package wallet_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/social/upstreamtest"
	"github.com/latchkey/latchkey/internal/social/wallet"
	"github.com/latchkey/latchkey/internal/testserver"
)

// provider is the strategy of the harness-backed custom provider.
const provider = "oauth_custom_acme"

// providers is a fixed provider registry for the wallet.
type providers map[string]*oauth2.Config

func (p providers) OAuth2Config(name string) (*oauth2.Config, bool) {
	c, ok := p[name]
	return c, ok
}

// stack is Latchkey plus a real upstream OpenID Provider, with the wallet
// pointed at the upstream as oauth_custom_acme.
type stack struct {
	t      *testing.T
	env    *testserver.Env
	up     *upstreamtest.Provider
	client upstreamtest.Client
	cfg    *oauth2.Config
	box    *keys.Box
	users  *user.Client
}

func newStack(t *testing.T, client upstreamtest.Client, mutate ...func(*config.Config)) *stack {
	t.Helper()
	env := testserver.Start(t, mutate...)
	up := upstreamtest.Start(t)
	client.ID, client.Secret = "latchkey", "upstream-secret"
	client.RedirectURIs = []string{env.PublicURL + "/v1/oauth_callback"}
	up.RegisterClient(client)
	cfg := up.OAuth2Config(client, "openid", "offline_access", "email", "profile")
	env.Server.Wallet.UseProviders(providers{provider: cfg})
	key, err := base64.StdEncoding.DecodeString(env.Server.Config.Keys.EncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := keys.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sdkConfig := &clerk.ClientConfig{}
	sdkConfig.Key = clerk.String(env.SecretKey)
	sdkConfig.URL = clerk.String(env.AdminURL + "/v1")
	return &stack{t: t, env: env, up: up, client: client, cfg: cfg, box: box, users: user.NewClient(sdkConfig)}
}

// connected is a Latchkey user with an external account at the upstream
// holding real tokens.
type connected struct {
	userID, accountID, sub string
	tok                    *oauth2.Token
}

// connect creates a user, logs in at the upstream as sub with a real code
// flow (x/oauth2), and stores the external account with its tokens sealed
// as the social flow stores them.
func (s *stack) connect(sub string) connected {
	s.t.Helper()
	ctx := context.Background()
	email := strings.ToLower(sub) + "@example.com"
	u, err := s.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{email}})
	if err != nil {
		s.t.Fatalf("create user: %v", err)
	}
	s.up.AddAccount(sub, map[string]any{"email": email, "email_verified": true, "name": sub})
	s.up.LoginAs(sub)
	tok := s.up.CodeFlow(s.cfg, oauth2.SetAuthURLParam("prompt", "consent"))
	if tok.RefreshToken == "" || tok.ExpiresIn == 0 {
		s.t.Fatalf("upstream gave %+v, want a refresh token and expires_in", tok)
	}
	id := ids.New(ids.ExternalAccount)
	seal := func(value, column string) []byte {
		if value == "" {
			return nil
		}
		return s.box.Seal([]byte(value), wallet.AAD(id, column))
	}
	idToken, _ := tok.Extra("id_token").(string)
	scope, _ := tok.Extra("scope").(string)
	now := s.env.Clock.Now()
	expires := now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	_, err = s.env.DB.Pool.Exec(ctx, `INSERT INTO external_accounts (id, user_id, provider, provider_user_id,
			email_address, email_verified, approved_scopes, access_token_enc, refresh_token_enc, id_token_enc,
			token_type, token_expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9, $10, $11, $12, $12)`,
		id, u.ID, provider, sub, email, strings.Fields(scope), seal(tok.AccessToken, wallet.ColumnAccessToken),
		seal(tok.RefreshToken, wallet.ColumnRefreshToken), seal(idToken, wallet.ColumnIDToken), tok.TokenType, expires, now)
	if err != nil {
		s.t.Fatalf("insert external account: %v", err)
	}
	return connected{userID: u.ID, accountID: id, sub: sub, tok: tok}
}

// walletToken is the Clerk-shaped answer, as a backend would decode it.
type walletToken struct {
	Object            string          `json:"object"`
	ExternalAccountID string          `json:"external_account_id"`
	ProviderUserID    string          `json:"provider_user_id"`
	Token             string          `json:"token"`
	ExpiresAt         *int64          `json:"expires_at"`
	Provider          string          `json:"provider"`
	PublicMetadata    json.RawMessage `json:"public_metadata"`
	Label             *string         `json:"label"`
	Scopes            []string        `json:"scopes"`
	IDToken           string          `json:"id_token"`
}

type clerkErrors struct {
	Errors []struct {
		Message     string         `json:"message"`
		LongMessage string         `json:"long_message"`
		Code        string         `json:"code"`
		Meta        map[string]any `json:"meta"`
	} `json:"errors"`
}

// get calls the Backend API and decodes the answer into out (if non-nil).
func (s *stack) call(method, path string, out any) int {
	s.t.Helper()
	req, err := http.NewRequest(method, s.env.AdminURL+"/v1"+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.env.SecretKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(out); err != nil {
			s.t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// tokens asks the wallet for a user's tokens (bare array) and wants 200.
func (s *stack) tokens(userID string) []walletToken {
	s.t.Helper()
	var out []walletToken
	if st := s.call(http.MethodGet, fmt.Sprintf("/users/%s/oauth_access_tokens/%s", userID, provider), &out); st != http.StatusOK {
		s.t.Fatalf("wallet: status %d", st)
	}
	return out
}

// upstreamAccepts reports whether the upstream's userinfo takes the token.
func (s *stack) upstreamAccepts(accessToken string) bool {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.up.Issuer+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// storedRefreshToken decrypts the account's refresh token as stored now.
func (s *stack) storedRefreshToken(accountID string) string {
	s.t.Helper()
	var enc []byte
	if err := s.env.DB.Pool.QueryRow(context.Background(),
		`SELECT refresh_token_enc FROM external_accounts WHERE id = $1`, accountID).Scan(&enc); err != nil {
		s.t.Fatal(err)
	}
	pt, err := s.box.Open(enc, wallet.AAD(accountID, wallet.ColumnRefreshToken))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(pt)
}

func decode(resp *http.Response, out any) error {
	return json.NewDecoder(resp.Body).Decode(out)
}
