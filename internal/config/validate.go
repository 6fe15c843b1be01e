package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Validate checks every setting and names the bad field in its error, so an
// operator can fix the file without reading code.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Env != EnvProduction && c.Env != EnvDevelopment {
		bad("env", "must be %q or %q, got %q", EnvProduction, EnvDevelopment, c.Env)
	}
	for field, raw := range map[string]string{"public_url": c.PublicURL, "admin_url": c.AdminURL} {
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			bad(field, "must be an absolute http(s) URL, got %q", raw)
		case field == "public_url" && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) && c.Env == EnvProduction:
			bad(field, "must use https in production (http is allowed only for localhost in development), got %q", raw)
		case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
			bad(field, "must be a bare origin without path, query or fragment, got %q", raw)
		}
	}
	for field, addr := range map[string]string{"listen.public": c.Listen.Public, "listen.admin": c.Listen.Admin} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(field, "must be host:port or :port, got %q", addr)
		}
	}
	if c.Listen.Public == c.Listen.Admin {
		bad("listen.admin", "must differ from listen.public (%q)", c.Listen.Public)
	}
	if c.Database.URL == "" {
		bad("database.url", "is required (set DATABASE_URL)")
	}
	if c.Database.MaxConns < 2 {
		bad("database.max_conns", "must be at least 2, got %d", c.Database.MaxConns)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format", "must be json or text, got %q", c.Log.Format)
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		bad("http.max_body_bytes", "must be at least 1024, got %d", c.HTTP.MaxBodyBytes)
	}
	if c.HTTP.ShutdownTimeout <= 0 {
		bad("http.shutdown_timeout", "must be positive")
	}
	if c.Keys.EncryptionKey != "" {
		if k, err := base64.StdEncoding.DecodeString(c.Keys.EncryptionKey); err != nil || len(k) != 32 {
			bad("keys.encryption_key", "must be base64 of exactly 32 bytes (generate one with `openssl rand -base64 32`)")
		}
	} else if c.Env == EnvProduction {
		bad("keys.encryption_key", "is required in production (set LATCHKEY_ENCRYPTION_KEY to base64 of 32 random bytes)")
	}
	if c.Users.LockoutMaxAttempts < 0 {
		bad("users.lockout_max_attempts", "must be 0 (off) or positive")
	}
	if c.Users.LockoutMaxAttempts > 0 && c.Users.LockoutDuration <= 0 {
		bad("users.lockout_duration", "must be positive when lockout is on")
	}
	for field, id := range map[string]Identifier{
		"auth.identifiers.email_address": c.Auth.Identifiers.EmailAddress,
		"auth.identifiers.phone_number":  c.Auth.Identifiers.PhoneNumber,
		"auth.identifiers.username":      c.Auth.Identifiers.Username,
	} {
		if id.Required && !id.Enabled {
			bad(field+".required", "cannot be true while %s.enabled is false", field)
		}
	}
	ids := c.Auth.Identifiers
	if !ids.EmailAddress.Enabled && !ids.PhoneNumber.Enabled && !ids.Username.Enabled {
		bad("auth.identifiers", "at least one of email_address, phone_number and username must be enabled")
	}
	c.validateAuth(bad)
	c.validateSecondFactors(bad)
	c.validateSocial(bad)
	if o := c.OAuth; o.AccessTokenLifetime < time.Minute || o.AccessTokenLifetime > 24*time.Hour {
		bad("oauth.access_token_lifetime", "must be between 1m and 24h, got %s", o.AccessTokenLifetime)
	}
	if o := c.OAuth; o.RefreshTokenLifetime < time.Hour {
		bad("oauth.refresh_token_lifetime", "must be at least 1h, got %s", o.RefreshTokenLifetime)
	}
	if f := c.OAuth.AccessTokenFormat; f != "jwt" && f != "opaque" {
		bad("oauth.access_token_format", "must be jwt or opaque, got %q", f)
	}
	if o := c.OAuth; o.RefreshGrace < 0 || o.RefreshGrace > time.Minute {
		bad("oauth.refresh_grace", "must be between 0s and 1m, got %s", o.RefreshGrace)
	}
	c.validateTokenWallet(bad)
	return errors.Join(errs...)
}

func isLoopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
