package config

import (
	"strings"

	"github.com/latchkey/latchkey/internal/notify"
)

// SMS configures text-message delivery and the SMS country allowlist; its
// settings and their validation belong to the notify package.
type SMS = notify.SMSConfig

// validateSMS checks the sms section and that phone codes can be delivered.
func (c Config) validateSMS(bad func(field, format string, args ...any)) {
	for _, err := range c.SMS.Validate(c.IsDevelopment()) {
		field, msg, _ := strings.Cut(strings.TrimPrefix(err.Error(), "config: "), ": ")
		bad(field, "%s", msg)
	}
	if c.Auth.FirstFactors.PhoneCode {
		if !c.Auth.Identifiers.PhoneNumber.Enabled {
			bad("auth.first_factors.phone_code", "needs auth.identifiers.phone_number.enabled")
		}
		if !c.SMS.Enabled() && !c.IsDevelopment() {
			bad("sms.twilio.account_sid", "is required in production when auth.first_factors.phone_code is on")
		}
	}
}
