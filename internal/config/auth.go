package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/notify"
)

// FirstFactors switches the sign-in strategies that prove who a person is.
type FirstFactors struct {
	Password  bool `yaml:"password"`
	EmailCode bool `yaml:"email_code"`
	EmailLink bool `yaml:"email_link"`
	// PhoneCode: a code texted to the phone number (needs sms.twilio in
	// production). With it on, a phone number given at sign-up is verified.
	PhoneCode bool `yaml:"phone_code"`
}

// SignUp holds sign-up rules.
type SignUp struct {
	// EmailVerificationRequired: a sign-up completes only once its email is verified.
	EmailVerificationRequired bool `yaml:"email_verification_required"`
	// PasswordRequired: sign-ups must set a password (default: when the password strategy is on).
	PasswordRequired *bool `yaml:"password_required"`
	// FirstName / LastName: "off", "optional" or "required".
	FirstName string `yaml:"first_name"`
	LastName  string `yaml:"last_name"`
	// Mode: "public" (anyone may sign up) or "restricted" (only with an
	// invitation or an allowlisted identifier; the operator adds everyone
	// else).
	Mode string `yaml:"mode"`
}

// EmailLink holds email-link rules.
type EmailLink struct {
	// RequireSameClient: a link verifies only in the browser that asked for it.
	RequireSameClient bool `yaml:"require_same_client"`
}

// RateLimits are per-IP limits on the sign-in engine, per minute.
type RateLimits struct {
	SignInAttemptsPerMinute int `yaml:"sign_in_attempts_per_minute"`
	CodeAttemptsPerMinute   int `yaml:"code_attempts_per_minute"`
	EmailsPerMinute         int `yaml:"emails_per_minute"`
}

// Sessions holds session options.
type Sessions struct {
	MaxLifetime       time.Duration `yaml:"max_lifetime"`       // 0: off
	InactivityTimeout time.Duration `yaml:"inactivity_timeout"` // 0: off
	MultiSession      bool          `yaml:"multi_session"`
	TokenLifetime     time.Duration `yaml:"token_lifetime"`
}

// Branding is how the instance presents itself in pages and emails.
type Branding struct {
	ApplicationName string `yaml:"application_name"`
	LogoURL         string `yaml:"logo_url"`
	PrimaryColor    string `yaml:"primary_color"`
}

// Email configures delivery of codes and links; its settings and their
// validation belong to the notify package.
type Email = notify.Config

func defaultAuth() Auth {
	a := Auth{
		Identifiers: Identifiers{
			EmailAddress: Identifier{Enabled: true, Required: true},
			PhoneNumber:  Identifier{Enabled: true},
			Username:     Identifier{Enabled: true},
		},
		FirstFactors: FirstFactors{Password: true, EmailCode: true, EmailLink: true},
		SignUp:       SignUp{EmailVerificationRequired: true, FirstName: "optional", LastName: "optional", Mode: "public"},
		EmailLink:    EmailLink{RequireSameClient: true},
		RateLimits:   RateLimits{SignInAttemptsPerMinute: 60, CodeAttemptsPerMinute: 30, EmailsPerMinute: 10},
	}
	a.SecondFactors = defaultSecondFactors()
	return a
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// validateAuth checks the sign-in engine's settings.
func (c Config) validateAuth(bad func(field, format string, args ...any)) {
	ff := c.Auth.FirstFactors
	if !ff.Password && !ff.EmailCode && !ff.EmailLink && !ff.PhoneCode {
		bad("auth.first_factors", "at least one of password, email_code, email_link and phone_code must be on")
	}
	c.validateSMS(bad)
	if (ff.EmailCode || ff.EmailLink) && !c.Auth.Identifiers.EmailAddress.Enabled {
		bad("auth.first_factors", "email_code and email_link need auth.identifiers.email_address.enabled")
	}
	for field, v := range map[string]string{"auth.sign_up.first_name": c.Auth.SignUp.FirstName, "auth.sign_up.last_name": c.Auth.SignUp.LastName} {
		if v != "off" && v != "optional" && v != "required" {
			bad(field, "must be off, optional or required, got %q", v)
		}
	}
	c.validateWeb3(bad)
	if m := c.Auth.SignUp.Mode; m != "public" && m != "restricted" {
		bad("auth.sign_up.mode", "must be public or restricted, got %q", m)
	}
	c.validatePasskeys(bad)
	rl := c.Auth.RateLimits
	if rl.SignInAttemptsPerMinute < 1 || rl.CodeAttemptsPerMinute < 1 || rl.EmailsPerMinute < 1 {
		bad("auth.rate_limits", "every limit must be at least 1 per minute")
	}
	s := c.Sessions
	if s.MaxLifetime <= 0 && s.InactivityTimeout <= 0 {
		bad("sessions", "max_lifetime and inactivity_timeout cannot both be off: sessions would never expire")
	}
	if s.MaxLifetime < 0 || s.InactivityTimeout < 0 {
		bad("sessions", "lifetimes cannot be negative")
	}
	if s.MaxLifetime > 0 && s.MaxLifetime < 5*time.Minute {
		bad("sessions.max_lifetime", "must be at least 5m, got %s", s.MaxLifetime)
	}
	if s.InactivityTimeout > 0 && s.InactivityTimeout < 5*time.Minute {
		bad("sessions.inactivity_timeout", "must be at least 5m, got %s", s.InactivityTimeout)
	}
	if s.TokenLifetime < 30*time.Second || s.TokenLifetime > time.Hour {
		bad("sessions.token_lifetime", "must be between 30s and 1h, got %s", s.TokenLifetime)
	}
	for i, o := range c.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.Contains(o, "*") {
			bad(fmt.Sprintf("allowed_origins[%d]", i), "must be an origin like https://app.example.com, got %q", o)
		}
	}
	if c.Branding.ApplicationName == "" || len(c.Branding.ApplicationName) > 100 {
		bad("branding.application_name", "must be 1 to 100 characters")
	}
	if c.Branding.PrimaryColor != "" && !colorRe.MatchString(c.Branding.PrimaryColor) {
		bad("branding.primary_color", "must be a #rrggbb colour, got %q", c.Branding.PrimaryColor)
	}
	if l := c.Branding.LogoURL; l != "" {
		if u, err := url.Parse(l); err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && c.IsDevelopment())) || u.Host == "" {
			bad("branding.logo_url", "must be an https URL, got %q", l)
		}
	}
	for _, err := range c.Email.Validate(c.IsDevelopment()) {
		field, msg, _ := strings.Cut(strings.TrimPrefix(err.Error(), "config: "), ": ")
		bad(field, "%s", msg)
	}
}
