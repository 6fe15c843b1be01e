package config

import (
	"net/url"
	"strings"
)

// Passkeys configures sign-in with passkeys (WebAuthn).
type Passkeys struct {
	// Enabled offers passkeys: created from the account page after sign-up,
	// then usable as a first factor (strategy passkey).
	Enabled bool `yaml:"enabled"`
	// RPID is the WebAuthn relying-party id: the root domain passkeys are
	// bound to, e.g. "example.com" so that a passkey works on example.com
	// and on accounts.example.com alike. Default: the public URL's host.
	// Responses are accepted from this domain and its subdomains only.
	RPID string `yaml:"rp_id"`
}

// PasskeyRPID is the relying-party id in force.
func (c Config) PasskeyRPID() string {
	if c.Auth.Passkeys.RPID != "" {
		return strings.ToLower(c.Auth.Passkeys.RPID)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// DomainWithin reports whether host is domain or one of its subdomains.
func DomainWithin(host, domain string) bool {
	host, domain = strings.ToLower(host), strings.ToLower(domain)
	return domain != "" && (host == domain || strings.HasSuffix(host, "."+domain))
}

// validatePasskeys checks that the hosted pages can use the relying-party
// id: a browser only lets an origin use its own domain or a parent of it.
func (c Config) validatePasskeys(bad func(field, format string, args ...any)) {
	rp := c.Auth.Passkeys.RPID
	if rp != "" && (strings.ContainsAny(rp, ":/@ *") || strings.HasPrefix(rp, ".") || strings.HasSuffix(rp, ".")) {
		bad("auth.passkeys.rp_id", "must be a bare domain like example.com, got %q", rp)
		return
	}
	if u, err := url.Parse(c.PublicURL); err == nil && rp != "" && !DomainWithin(u.Hostname(), rp) {
		bad("auth.passkeys.rp_id", "must be public_url's host or a parent domain of it, got %q for %s", rp, c.PublicURL)
	}
}
