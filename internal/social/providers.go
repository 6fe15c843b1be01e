// Package social signs people in through upstream identity providers
// ("Continue with Google"): the provider registry (built-in providers and
// custom OIDC / OAuth 2.0 ones from the config), the authorization round trip
// with state, PKCE and nonce, the profile and verified-email fetch of each
// provider, and the sealing of upstream tokens.
package social

import (
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/config"
)

// Profile kinds: how a provider's profile and verified email are read.
const (
	kindOIDC      = "oidc"      // ID token claims (and userinfo when it says more)
	kindMicrosoft = "microsoft" // OIDC, per-tenant issuer, email claim not proof of ownership
	kindApple     = "apple"     // OIDC; the name arrives once, in the form post of the first login
	kindGitHub    = "github"    // GET /user and GET /user/emails
	kindFacebook  = "facebook"  // Graph API /me
	kindDiscord   = "discord"   // GET /users/@me
	kindX         = "x"         // GET /2/users/me (no email)
	kindOAuth2    = "oauth2"    // custom: userinfo JSON through a field mapping
)

// builtin is a provider's fixed data: endpoints, base scopes, label.
type builtin struct {
	name              string
	kind              string
	issuer            string // OIDC
	authURL, tokenURL string // OAuth 2.0
	apiURL            string
	scopes            []string
	authParams        map[string]string // extra authorization parameters
	blockSubaddresses bool
	tokenAuthInHeader bool
	tokenIssuer       string // Microsoft: the iss of its tokens, {tenantid} being the token's tid
}

var builtins = map[string]builtin{
	"google": {name: "Google", kind: kindOIDC, issuer: "https://accounts.google.com",
		scopes: []string{"openid", "email", "profile"}, authParams: map[string]string{"access_type": "offline"},
		blockSubaddresses: true},
	"microsoft": {name: "Microsoft", kind: kindMicrosoft, issuer: "https://login.microsoftonline.com/{tenant}/v2.0",
		scopes: []string{"openid", "email", "profile", "offline_access"}},
	"apple": {name: "Apple", kind: kindApple, issuer: "https://appleid.apple.com",
		scopes: []string{"openid", "name", "email"}, authParams: map[string]string{"response_mode": "form_post"}},
	"gitlab":   {name: "GitLab", kind: kindOIDC, issuer: "https://gitlab.com", scopes: []string{"openid", "profile", "email"}},
	"linkedin": {name: "LinkedIn", kind: kindOIDC, issuer: "https://www.linkedin.com/oauth", scopes: []string{"openid", "profile", "email"}},
	"slack":    {name: "Slack", kind: kindOIDC, issuer: "https://slack.com", scopes: []string{"openid", "profile", "email"}},
	"github": {name: "GitHub", kind: kindGitHub, authURL: "https://github.com/login/oauth/authorize",
		tokenURL: "https://github.com/login/oauth/access_token", apiURL: "https://api.github.com",
		scopes: []string{"read:user", "user:email"}},
	"facebook": {name: "Facebook", kind: kindFacebook, authURL: "https://www.facebook.com/v19.0/dialog/oauth",
		tokenURL: "https://graph.facebook.com/v19.0/oauth/access_token", apiURL: "https://graph.facebook.com/v19.0",
		scopes: []string{"email", "public_profile"}},
	"discord": {name: "Discord", kind: kindDiscord, authURL: "https://discord.com/oauth2/authorize",
		tokenURL: "https://discord.com/api/oauth2/token", apiURL: "https://discord.com/api",
		scopes: []string{"identify", "email"}},
	"x": {name: "X", kind: kindX, authURL: "https://x.com/i/oauth2/authorize", tokenURL: "https://api.x.com/2/oauth2/token",
		apiURL: "https://api.x.com", scopes: []string{"users.read", "tweet.read", "offline.access"}, tokenAuthInHeader: true},
}

// spec resolves a connection against the built-in table: the config's
// endpoints override the built-in ones (GitHub Enterprise, test doubles).
func spec(c config.SocialConnection) builtin {
	b, ok := builtins[c.Provider]
	if !ok { // custom_<name>
		b = builtin{kind: kindOAuth2, name: strings.TrimPrefix(c.Provider, "custom_")}
		if c.Type == "oidc" {
			b.kind, b.scopes = kindOIDC, []string{"openid", "email", "profile"}
		}
	}
	if c.Name != "" {
		b.name = c.Name
	}
	if b.kind == kindMicrosoft {
		tenant := c.Tenant
		if tenant == "" {
			tenant = "common"
		}
		b.issuer = strings.ReplaceAll(b.issuer, "{tenant}", tenant)
	}
	if b.kind == kindMicrosoft {
		b.tokenIssuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
		if c.Issuer != "" {
			b.tokenIssuer = strings.TrimSuffix(c.Issuer, "/")
		}
	}
	for dst, v := range map[*string]string{&b.issuer: c.Issuer, &b.authURL: c.AuthURL, &b.tokenURL: c.TokenURL, &b.apiURL: c.APIURL} {
		if v != "" {
			*dst = strings.TrimSuffix(v, "/")
		}
	}
	if c.BlockEmailSubaddresses != nil {
		b.blockSubaddresses = *c.BlockEmailSubaddresses
	}
	return b
}

// isOIDC reports whether the provider signs in with an ID token.
func (b builtin) isOIDC() bool {
	return b.kind == kindOIDC || b.kind == kindMicrosoft || b.kind == kindApple
}

// hasSubaddress reports whether an address carries a subaddress marker
// (user+tag@, user=tag@, user#tag@), which Google blocks by default so one
// mailbox cannot hold many accounts.
func hasSubaddress(email string) bool {
	local, _, _ := strings.Cut(email, "@")
	return strings.ContainsAny(local, "+=#")
}

// needsConsentForOffline reports whether an authorization asking for these
// scopes must carry prompt=consent: OpenID Connect Core §11 has a provider
// grant offline_access (the refresh token the token wallet lives on) only
// with it, and strict providers follow that. Microsoft grants offline_access
// without it, and a provider whose parameters already set prompt keeps its own.
func (p *Provider) needsConsentForOffline(scopes []string) bool {
	if p.spec.kind != kindOIDC || !slices.Contains(scopes, "offline_access") {
		return false
	}
	_, set := p.spec.authParams["prompt"]
	return !set
}
