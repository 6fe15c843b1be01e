package upstreamtest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"

	"golang.org/x/oauth2"
)

// Browser is an HTTP client with a cookie jar that follows the provider's
// redirects (login and consent complete on their own) but stops at the first
// redirect that leaves the provider, so the caller sees the callback URL.
func (p *Provider) Browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	issuer, err := url.Parse(p.Issuer)
	if err != nil {
		p.t.Fatal(err)
	}
	return &http.Client{
		Jar: jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != issuer.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// Authorize opens an authorization URL of this provider and returns where the
// provider sends the browser back (the client's redirect URI with code,
// state and iss, or with error).
func (p *Provider) Authorize(authURL string) *url.URL {
	p.t.Helper()
	resp, err := p.Browser().Get(authURL)
	if err != nil {
		p.t.Fatalf("upstreamtest: authorize: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc, err := resp.Location()
	if err != nil || resp.StatusCode/100 != 3 {
		p.t.Fatalf("upstreamtest: authorize ended at %s with %d, not a redirect to the client: %s",
			resp.Request.URL, resp.StatusCode, body)
	}
	return loc
}

// CodeFlow runs an authorization code flow with PKCE for the configuration
// (as the account LoginAs chose) and returns the tokens, the way a relying
// party would get them. Extra options go on the authorization URL.
func (p *Provider) CodeFlow(cfg *oauth2.Config, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	p.t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := randomHex(p.t)
	opts = append(opts, oauth2.S256ChallengeOption(verifier))
	back := p.Authorize(cfg.AuthCodeURL(state, opts...))
	q := back.Query()
	if e := q.Get("error"); e != "" {
		p.t.Fatalf("upstreamtest: authorization failed: %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		p.t.Fatalf("upstreamtest: state %q came back as %q", state, q.Get("state"))
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		p.t.Fatalf("upstreamtest: code exchange: %v", err)
	}
	return tok
}
