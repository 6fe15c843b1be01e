package upstreamtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Client is an OAuth client (a relying party such as Latchkey) registered at
// the provider.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string
	// Scopes limits what the client may ask for; empty: every scope the
	// provider supports.
	Scopes []string
	// AuthMethod is how the client authenticates at the token endpoint:
	// "client_secret_basic" (the default) or "client_secret_post".
	AuthMethod string
	// ApplicationType is "web" (the default) or "native" (custom-scheme or
	// loopback redirect URIs).
	ApplicationType string
	// AccessTokenTTL is the lifetime of access and ID tokens (whole seconds;
	// zero: one hour). Short lifetimes let tests see tokens expire.
	AccessTokenTTL time.Duration
	// NoRefreshTokenRotation keeps a refresh token valid across refreshes;
	// by default every refresh returns a new refresh token and consumes the
	// old one (reusing it revokes the whole grant, as OAuth 2.1 advises).
	NoRefreshTokenRotation bool
	// RefreshTokenWithoutOfflineAccess issues refresh tokens even without
	// the offline_access scope (like Google's access_type=offline). By
	// default a refresh token comes only with offline_access, which, as
	// OpenID Connect Core §11 says, is granted only with prompt=consent.
	RefreshTokenWithoutOfflineAccess bool
}

// RegisterClient registers (or replaces) a client.
func (p *Provider) RegisterClient(c Client) {
	p.t.Helper()
	body := map[string]any{
		"client_id":                  c.ID,
		"client_secret":              c.Secret,
		"redirect_uris":              c.RedirectURIs,
		"scope":                      strings.Join(c.Scopes, " "),
		"token_endpoint_auth_method": c.AuthMethod,
		"application_type":           c.ApplicationType,
		"rotate_refresh_tokens":      !c.NoRefreshTokenRotation,
		"always_issue_refresh_token": c.RefreshTokenWithoutOfflineAccess,
	}
	if c.AccessTokenTTL > 0 {
		body["access_token_ttl"] = max(1, int(c.AccessTokenTTL/time.Second))
	}
	p.admin(http.MethodPost, "/admin/clients", body, nil)
}

// NewClient registers a client with a random id and secret for the redirect
// URIs and returns it.
func (p *Provider) NewClient(redirectURIs ...string) Client {
	p.t.Helper()
	c := Client{ID: "client_" + randomHex(p.t), Secret: randomHex(p.t), RedirectURIs: redirectURIs}
	p.RegisterClient(c)
	return c
}

// AddAccount defines (or replaces) an account. Claims are released as given,
// so tests can send what real providers send: "email_verified" as true, as the
// string "true", or not at all; "sub" is set to sub.
func (p *Provider) AddAccount(sub string, claims map[string]any) {
	p.t.Helper()
	body := map[string]any{}
	for k, v := range claims {
		body[k] = v
	}
	body["sub"] = sub
	p.admin(http.MethodPost, "/admin/accounts", body, nil)
}

// LoginAs makes every following login log in the account sub (a login_hint
// naming an account's sub or email still wins). With no LoginAs, logins go
// to the only account when there is exactly one.
func (p *Provider) LoginAs(sub string) {
	p.t.Helper()
	p.admin(http.MethodPost, "/admin/login", map[string]any{"sub": sub}, nil)
}

// DenyLogins makes every following authorization end with
// error=access_denied at the client's redirect URI, as when a user declines.
// LoginAs undoes it.
func (p *Provider) DenyLogins() {
	p.t.Helper()
	p.admin(http.MethodPost, "/admin/login", map[string]any{"deny": true}, nil)
}

// RevokeGrants withdraws every grant the account gave (to any client), with
// their access and refresh tokens: a refresh then fails with invalid_grant.
// It returns how many grants were revoked.
func (p *Provider) RevokeGrants(sub string) int {
	p.t.Helper()
	var out struct {
		Revoked int `json:"revoked"`
	}
	p.admin(http.MethodPost, "/admin/accounts/"+url.PathEscape(sub)+"/revoke", map[string]any{}, &out)
	return out.Revoked
}

// Stats counts what the provider's token endpoint did.
type Stats struct {
	AuthorizationCodes      int            `json:"authorization_codes"`
	Refreshes               int            `json:"refreshes"`
	RefreshFailures         int            `json:"refresh_failures"`
	RefreshesByAccount      map[string]int `json:"refreshes_by_account"`
	RefreshFailuresByClient map[string]int `json:"refresh_failures_by_client"`
}

// Stats reads the counters.
func (p *Provider) Stats() Stats {
	p.t.Helper()
	var s Stats
	p.admin(http.MethodGet, "/admin/stats", nil, &s)
	return s
}

// Endpoint is the provider's OAuth 2.0 endpoint for the client's auth method.
func (p *Provider) Endpoint(c Client) oauth2.Endpoint {
	style := oauth2.AuthStyleInHeader
	if c.AuthMethod == "client_secret_post" {
		style = oauth2.AuthStyleInParams
	}
	return oauth2.Endpoint{AuthURL: p.Issuer + "/auth", TokenURL: p.Issuer + "/token", AuthStyle: style}
}

// OAuth2Config is an x/oauth2 configuration for the client, with its first
// redirect URI.
func (p *Provider) OAuth2Config(c Client, scopes ...string) *oauth2.Config {
	redirect := ""
	if len(c.RedirectURIs) > 0 {
		redirect = c.RedirectURIs[0]
	}
	return &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret,
		Endpoint:     p.Endpoint(c),
		RedirectURL:  redirect,
		Scopes:       scopes,
	}
}

func (p *Provider) admin(method, path string, in, out any) {
	p.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			p.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.Issuer+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		p.t.Fatalf("upstreamtest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("upstreamtest: %s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("upstreamtest: %s %s: %v in %s", method, path, err, raw)
		}
	}
}

// String names the provider in test logs.
func (p *Provider) String() string { return fmt.Sprintf("upstream provider %s", p.Issuer) }
