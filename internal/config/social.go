package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Social configures sign-in through upstream providers ("Continue with
// Google"). Each connection needs only its client id and secret; base scopes
// and endpoints of the built-in providers are known (internal/social).
type Social struct {
	Connections []SocialConnection `yaml:"connections"`
}

// SocialConnection is one upstream provider.
type SocialConnection struct {
	// Provider is a built-in name (google, github, microsoft, apple, facebook,
	// gitlab, discord, linkedin, slack, x) or custom_<name> for a custom one.
	// The strategy is oauth_<provider>.
	Provider     string `yaml:"provider"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"` // or LATCHKEY_SOCIAL_<PROVIDER>_CLIENT_SECRET
	// Scopes are requested beyond the provider's built-in base scopes.
	Scopes []string `yaml:"scopes"`
	// SignInEnabled (default true): the provider can create accounts and sign
	// in; false means it can only be connected to an existing account.
	SignInEnabled *bool `yaml:"sign_in_enabled"`
	// BlockEmailSubaddresses refuses addresses with +, = or # (default true
	// for Google, false otherwise).
	BlockEmailSubaddresses *bool `yaml:"block_email_subaddresses"`
	// Name is the label on buttons ("Continue with <name>"); built-ins have one.
	Name string `yaml:"name"`

	// Custom providers (and overrides of a built-in's endpoints, e.g. GitHub
	// Enterprise or a test double).
	Type        string `yaml:"type"`         // oidc or oauth2 (custom only)
	Issuer      string `yaml:"issuer"`       // OIDC: discovery at <issuer>/.well-known/openid-configuration
	AuthURL     string `yaml:"auth_url"`     // OAuth 2.0
	TokenURL    string `yaml:"token_url"`    // OAuth 2.0
	UserinfoURL string `yaml:"userinfo_url"` // OAuth 2.0: the profile endpoint
	APIURL      string `yaml:"api_url"`      // built-ins with an API (GitHub, Facebook, Discord, X)
	Tenant      string `yaml:"tenant"`       // Microsoft: a tenant id, or common (default)
	// Claims maps profile fields to the userinfo JSON of a custom OAuth 2.0
	// provider (dotted paths): id, email, email_verified, first_name,
	// last_name, name, username, image_url.
	Claims map[string]string `yaml:"claims"`
	// Audiences are extra accepted audiences of native ID tokens
	// (oauth_token_<provider>), e.g. an iOS bundle id for Apple.
	Audiences []string `yaml:"audiences"`
}

// Strategy is the connection's Clerk strategy name.
func (c SocialConnection) Strategy() string { return "oauth_" + c.Provider }

var socialName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

var builtinSocial = map[string]bool{"google": true, "github": true, "microsoft": true, "apple": true,
	"facebook": true, "gitlab": true, "discord": true, "linkedin": true, "slack": true, "x": true}

// validateSocial checks the connections.
func (c Config) validateSocial(bad func(field, format string, args ...any)) {
	seen := map[string]bool{}
	for i, sc := range c.Social.Connections {
		f := fmt.Sprintf("social.connections[%d]", i)
		switch {
		case !socialName.MatchString(sc.Provider):
			bad(f+".provider", "must be a provider name such as google or custom_acme")
			continue
		case seen[sc.Provider]:
			bad(f+".provider", "%s is configured twice", sc.Provider)
		}
		seen[sc.Provider] = true
		custom := strings.HasPrefix(sc.Provider, "custom_")
		if !custom && !builtinSocial[sc.Provider] {
			bad(f+".provider", "unknown provider %q (custom providers are named custom_<name>)", sc.Provider)
		}
		if sc.ClientID == "" {
			bad(f+".client_id", "is required")
		}
		if sc.ClientSecret == "" {
			bad(f+".client_secret", "is required (set LATCHKEY_SOCIAL_%s_CLIENT_SECRET)", strings.ToUpper(sc.Provider))
		}
		if !custom {
			continue
		}
		switch sc.Type {
		case "oidc":
			if sc.Issuer == "" {
				bad(f+".issuer", "is required for an OIDC provider")
			}
		case "oauth2":
			if sc.AuthURL == "" || sc.TokenURL == "" || sc.UserinfoURL == "" {
				bad(f, "an OAuth 2.0 provider needs auth_url, token_url and userinfo_url")
			}
			if sc.Claims["id"] == "" {
				bad(f+".claims.id", "is required (the field holding the provider's user id)")
			}
		default:
			bad(f+".type", "must be oidc or oauth2")
		}
	}
}

// applySocialEnv reads client secrets from LATCHKEY_SOCIAL_<PROVIDER>_CLIENT_SECRET.
func applySocialEnv(c *Config, getenv func(string) string) {
	for i := range c.Social.Connections {
		sc := &c.Social.Connections[i]
		if v := getenv("LATCHKEY_SOCIAL_" + strings.ToUpper(sc.Provider) + "_CLIENT_SECRET"); v != "" {
			sc.ClientSecret = v
		}
	}
}
