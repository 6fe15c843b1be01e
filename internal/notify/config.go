package notify

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
)

// TLS modes for the SMTP connection.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which must be offered (default, port 587)
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption: a relay on this host, or a development mail catcher
)

// Config configures email delivery. It is meant to sit under the `email` key
// of the main configuration.
type Config struct {
	SMTP SMTP `yaml:"smtp"`
	// MaxAttempts is how many times a message is tried before it is marked
	// failed; 0 means 8.
	MaxAttempts int `yaml:"max_attempts"`
}

// SMTP is the outgoing mail server.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // 0: 587 for starttls, 465 for implicit, 25 for none
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"` // "Acme <no-reply@acme.com>" or a bare address
	TLS      string `yaml:"tls"`  // starttls (default), implicit or none
}

// Enabled reports whether an SMTP server is configured. Without one,
// development keeps messages in the dev outbox and production cannot send.
func (c Config) Enabled() bool { return c.SMTP.Host != "" }

const defaultMaxAttempts = 8

// withDefaults fills the settings left at their zero value.
func (c Config) withDefaults() Config {
	if c.SMTP.TLS == "" {
		c.SMTP.TLS = TLSStartTLS
	}
	if c.SMTP.Port == 0 {
		switch c.SMTP.TLS {
		case TLSImplicit:
			c.SMTP.Port = 465
		case TLSNone:
			c.SMTP.Port = 25
		default:
			c.SMTP.Port = 587
		}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	return c
}

// Validate checks the settings and names the bad field in each error
// (email.smtp.host, ...). SMTP may be left out only in development, where
// messages then go to the dev outbox.
func (c Config) Validate(development bool) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: email.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	s := c.SMTP
	if !c.Enabled() {
		switch {
		case s != SMTP{}:
			bad("smtp.host", "is required when other email.smtp settings are given")
		case !development:
			bad("smtp.host", "is required in production: sign-up and sign-in send codes by email")
		}
	} else {
		if strings.ContainsAny(s.Host, " \t\r\n/") {
			bad("smtp.host", "must be a host name or IP address, got %q", s.Host)
		} else if _, _, err := net.SplitHostPort(s.Host); err == nil {
			bad("smtp.host", "must not include a port (set email.smtp.port), got %q", s.Host)
		}
		if s.Port < 0 || s.Port > 65535 {
			bad("smtp.port", "must be a TCP port (1-65535) or 0 for the default, got %d", s.Port)
		}
		switch s.TLS {
		case "", TLSStartTLS, TLSImplicit:
		case TLSNone:
			if !development && !isLoopback(s.Host) {
				bad("smtp.tls", "none is allowed only for a server on localhost (or in development); use starttls or implicit")
			} else if s.Username != "" && !isLoopback(s.Host) {
				bad("smtp.tls", "none would send the SMTP password unencrypted to %q; use starttls or implicit", s.Host)
			}
		default:
			bad("smtp.tls", "must be starttls, implicit or none, got %q", s.TLS)
		}
		if s.From == "" {
			bad("smtp.from", "is required (e.g. \"Acme <no-reply@acme.com>\")")
		} else if _, err := mail.ParseAddress(s.From); err != nil {
			bad("smtp.from", "must be an email address such as \"Acme <no-reply@acme.com>\", got %q", s.From)
		}
		if s.Username == "" && s.Password != "" {
			bad("smtp.username", "is required when email.smtp.password is set")
		}
		if s.Username != "" && s.Password == "" {
			bad("smtp.password", "is required when email.smtp.username is set")
		}
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > 100 {
		bad("max_attempts", "must be between 1 and 100 (0 for the default of %d), got %d", defaultMaxAttempts, c.MaxAttempts)
	}
	return errs
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
