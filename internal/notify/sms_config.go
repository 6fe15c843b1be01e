package notify

import (
	"fmt"
	"net/url"
	"strings"
)

// SMSConfig configures text-message delivery (phone verification and
// sign-in codes). It sits under the `sms` key of the main configuration.
type SMSConfig struct {
	// Twilio is the default provider adapter: any API that accepts Twilio's
	// Messages request (POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json,
	// form To/From/Body, HTTP basic auth sid:token).
	Twilio Twilio `yaml:"twilio"`
	// AllowedCallingCodes is the SMS country allowlist by country calling
	// code (1 for the US and Canada, 44 for the UK, ...). A number whose code
	// is not listed cannot receive codes, sign up or be added to a user.
	// Empty allows every country.
	AllowedCallingCodes []int `yaml:"allowed_calling_codes"`
	// MaxAttempts is how many times a message is tried; 0 means 8.
	MaxAttempts int `yaml:"max_attempts"`
}

// Twilio holds the provider's address and credentials.
type Twilio struct {
	BaseURL    string `yaml:"base_url"` // default https://api.twilio.com
	AccountSID string `yaml:"account_sid"`
	AuthToken  string `yaml:"auth_token"`
	From       string `yaml:"from"` // the sending number (E.164), or a messaging service id (MG...) sent as MessagingServiceSid
}

// DefaultTwilioBaseURL is Twilio's own API.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// Enabled reports whether a provider is configured. Without one,
// development keeps text messages in the dev outbox.
func (c SMSConfig) Enabled() bool { return c.Twilio.AccountSID != "" }

// CallingCodeAllowed applies the allowlist to a country calling code.
func (c SMSConfig) CallingCodeAllowed(code int) bool {
	if len(c.AllowedCallingCodes) == 0 {
		return true
	}
	for _, a := range c.AllowedCallingCodes {
		if a == code {
			return true
		}
	}
	return false
}

func (c SMSConfig) withDefaults() SMSConfig {
	if c.Twilio.BaseURL == "" {
		c.Twilio.BaseURL = DefaultTwilioBaseURL
	}
	c.Twilio.BaseURL = strings.TrimRight(c.Twilio.BaseURL, "/")
	if c.MaxAttempts == 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	return c
}

// Validate checks the settings and names the bad field (sms.twilio.from, ...).
func (c SMSConfig) Validate(development bool) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: sms.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	t := c.Twilio
	if !c.Enabled() {
		if t.AuthToken != "" || t.From != "" || t.BaseURL != "" {
			bad("twilio.account_sid", "is required when other sms.twilio settings are given")
		}
	} else {
		if t.AuthToken == "" {
			bad("twilio.auth_token", "is required with sms.twilio.account_sid")
		}
		if t.From == "" {
			bad("twilio.from", "is required (the sending number, e.g. +15555550100)")
		}
		if t.BaseURL != "" {
			u, err := url.Parse(t.BaseURL)
			if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && (development || isLoopback(u.Hostname())))) ||
				u.RawQuery != "" || u.User != nil {
				bad("twilio.base_url", "must be an https URL such as %s, got %q", DefaultTwilioBaseURL, t.BaseURL)
			}
		}
	}
	for i, code := range c.AllowedCallingCodes {
		if code < 1 || code > 999 {
			bad(fmt.Sprintf("allowed_calling_codes[%d]", i), "must be a country calling code (1-999), got %d", code)
		}
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > 100 {
		bad("max_attempts", "must be between 1 and 100 (0 for the default of %d), got %d", defaultMaxAttempts, c.MaxAttempts)
	}
	return errs
}
