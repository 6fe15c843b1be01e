package social

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/config"
)

// Provider is one configured upstream provider.
type Provider struct {
	Strategy  string // oauth_google, oauth_custom_acme
	Name      string // shown on buttons
	conn      config.SocialConnection
	spec      builtin
	oauth     oauth2.Config // RedirectURL set; Endpoint filled from discovery for OIDC
	discovery sync.Mutex
	oidc      *oidc.Provider
}

// SignInEnabled reports whether the provider may create accounts and sign
// in (otherwise it can only be connected to an existing account).
func (p *Provider) SignInEnabled() bool {
	return p.conn.SignInEnabled == nil || *p.conn.SignInEnabled
}

// BlocksSubaddresses reports whether user+tag@ addresses are refused.
func (p *Provider) BlocksSubaddresses() bool { return p.spec.blockSubaddresses }

// IsOIDC reports whether the provider proves identity with an ID token.
func (p *Provider) IsOIDC() bool { return p.spec.isOIDC() }

// Registry holds the configured providers, in configuration order.
type Registry struct {
	list   []*Provider
	byName map[string]*Provider
	http   *http.Client
}

// NewRegistry builds the providers of the config. OIDC discovery happens on
// first use, so an unreachable provider does not stop the server starting.
func NewRegistry(conns []config.SocialConnection, callbackURL string, client *http.Client) *Registry {
	if client == nil {
		client = http.DefaultClient
	}
	r := &Registry{byName: map[string]*Provider{}, http: client}
	for _, c := range conns {
		s := spec(c)
		scopes := slices.Clone(s.scopes)
		for _, extra := range c.Scopes {
			if !slices.Contains(scopes, extra) {
				scopes = append(scopes, extra)
			}
		}
		p := &Provider{Strategy: c.Strategy(), Name: s.name, conn: c, spec: s, oauth: oauth2.Config{
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: callbackURL, Scopes: scopes,
			Endpoint: oauth2.Endpoint{AuthURL: s.authURL, TokenURL: s.tokenURL},
		}}
		if s.tokenAuthInHeader {
			p.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		}
		r.list = append(r.list, p)
		r.byName[p.Strategy] = p
	}
	return r
}

// Providers lists the configured providers in configuration order.
func (r *Registry) Providers() []*Provider { return r.list }

// Get finds a provider by strategy (oauth_google).
func (r *Registry) Get(strategy string) (*Provider, bool) {
	p, ok := r.byName[strategy]
	return p, ok
}

// OAuth2Config is the client configuration to talk to a provider's token
// endpoint (the token wallet refreshes with it). OIDC providers are
// discovered first; ok is false for an unknown provider or a failed discovery.
func (r *Registry) OAuth2Config(strategy string) (*oauth2.Config, bool) {
	p, ok := r.byName[strategy]
	if !ok {
		return nil, false
	}
	cfg, err := r.config(context.Background(), p)
	if err != nil {
		return nil, false
	}
	return cfg, true
}

// HTTPClient is the client used toward providers (tests point it at fakes).
func (r *Registry) HTTPClient() *http.Client { return r.http }

// config returns a copy of the provider's oauth2.Config with its endpoints.
func (r *Registry) config(ctx context.Context, p *Provider) (*oauth2.Config, error) {
	if p.IsOIDC() {
		op, err := r.discover(ctx, p)
		if err != nil {
			return nil, err
		}
		cfg := p.oauth
		ep := op.Endpoint()
		cfg.Endpoint.AuthURL, cfg.Endpoint.TokenURL = ep.AuthURL, ep.TokenURL
		return &cfg, nil
	}
	cfg := p.oauth
	return &cfg, nil
}

// discover fetches (once) the provider's OpenID configuration.
func (r *Registry) discover(ctx context.Context, p *Provider) (*oidc.Provider, error) {
	p.discovery.Lock()
	defer p.discovery.Unlock()
	if p.oidc != nil {
		return p.oidc, nil
	}
	ctx = oidc.ClientContext(context.WithoutCancel(ctx), r.http)
	if p.spec.kind == kindMicrosoft {
		// The "common" document names the issuer with a {tenantid}
		// placeholder; the real issuer is checked per token (verifyMicrosoft).
		ctx = oidc.InsecureIssuerURLContext(ctx, p.spec.issuer)
	}
	op, err := oidc.NewProvider(ctx, p.spec.issuer)
	if err != nil {
		return nil, fmt.Errorf("social: discovery of %s: %w", p.Strategy, err)
	}
	p.oidc = op
	return op, nil
}

// advertisesIss reports whether an OIDC provider's discovery document
// promises the iss authorization response parameter (RFC 9207).
func (r *Registry) advertisesIss(ctx context.Context, p *Provider) bool {
	if !p.IsOIDC() {
		return false
	}
	op, err := r.discover(ctx, p)
	if err != nil {
		return false
	}
	var meta struct {
		Supported bool `json:"authorization_response_iss_parameter_supported"`
	}
	return op.Claims(&meta) == nil && meta.Supported
}

// issuer is what the provider's iss must be (empty for plain OAuth 2.0).
func (p *Provider) issuer() string {
	if p.IsOIDC() && p.spec.kind != kindMicrosoft {
		return p.spec.issuer
	}
	return ""
}

// audiences are the accepted aud values of the provider's ID tokens.
func (p *Provider) audiences() []string {
	return append([]string{p.conn.ClientID}, p.conn.Audiences...)
}
