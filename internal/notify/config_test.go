package notify_test

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/notify"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := notify.SMTP{Host: "smtp.example.com", Username: "apikey", Password: "s3cret", From: "Acme <no-reply@acme.com>"}
	with := func(f func(*notify.Config)) notify.Config {
		c := notify.Config{SMTP: good}
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name  string
		cfg   notify.Config
		dev   bool
		field string // "" means valid
	}{
		{"complete", notify.Config{SMTP: good}, false, ""},
		{"implicit TLS", with(func(c *notify.Config) { c.SMTP.TLS = notify.TLSImplicit; c.SMTP.Port = 465 }), false, ""},
		{"no SMTP in development", notify.Config{}, true, ""},
		{"no SMTP in production", notify.Config{}, false, "email.smtp.host"},
		{"settings without host", notify.Config{SMTP: notify.SMTP{From: "a@b.c"}}, true, "email.smtp.host"},
		{"host with port", with(func(c *notify.Config) { c.SMTP.Host = "smtp.example.com:587" }), false, "email.smtp.host"},
		{"bad port", with(func(c *notify.Config) { c.SMTP.Port = 70000 }), false, "email.smtp.port"},
		{"unknown TLS mode", with(func(c *notify.Config) { c.SMTP.TLS = "ssl" }), false, "email.smtp.tls"},
		{"plaintext to a remote server", with(func(c *notify.Config) { c.SMTP.TLS = notify.TLSNone }), false, "email.smtp.tls"},
		{"plaintext password in development", with(func(c *notify.Config) { c.SMTP.TLS = notify.TLSNone }), true, "email.smtp.tls"},
		{"plaintext mail catcher in development", notify.Config{SMTP: notify.SMTP{Host: "mailpit", Port: 1025, TLS: notify.TLSNone, From: "dev@localhost"}}, true, ""},
		{"plaintext relay on localhost", notify.Config{SMTP: notify.SMTP{Host: "127.0.0.1", TLS: notify.TLSNone, From: "a@b.c"}}, false, ""},
		{"no from", with(func(c *notify.Config) { c.SMTP.From = "" }), false, "email.smtp.from"},
		{"bad from", with(func(c *notify.Config) { c.SMTP.From = "Acme no-reply" }), false, "email.smtp.from"},
		{"password without username", with(func(c *notify.Config) { c.SMTP.Username = "" }), false, "email.smtp.username"},
		{"username without password", with(func(c *notify.Config) { c.SMTP.Password = "" }), false, "email.smtp.password"},
		{"negative attempts", with(func(c *notify.Config) { c.MaxAttempts = -1 }), false, "email.max_attempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.cfg.Validate(tc.dev)
			if tc.field == "" {
				if len(errs) != 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.field+":") {
				t.Fatalf("errors %v, want one naming %s", errs, tc.field)
			}
		})
	}
	if (notify.Config{}).Enabled() || !(notify.Config{SMTP: good}).Enabled() {
		t.Error("Enabled should follow the host")
	}
}
