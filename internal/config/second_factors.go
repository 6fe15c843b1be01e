package config

// SecondFactors switches the multi-factor strategies a user may enrol and
// sign in with. A user who has enrolled a strategy that is later switched
// off is no longer asked for it.
type SecondFactors struct {
	TOTP bool `yaml:"totp"` // an authenticator app
	// BackupCode: single-use recovery codes, a fallback for another second factor.
	BackupCode bool `yaml:"backup_code"`
	// PhoneCode: an SMS code to a verified phone number reserved for the
	// second factor (needs sms.twilio in production; the dev outbox in
	// development).
	PhoneCode bool `yaml:"phone_code"`
}

// Any reports whether some second factor can be enrolled.
func (s SecondFactors) Any() bool { return s.TOTP || s.PhoneCode }

func defaultSecondFactors() SecondFactors {
	return SecondFactors{TOTP: true, BackupCode: true}
}

func (c Config) validateSecondFactors(bad func(field, format string, args ...any)) {
	sf := c.Auth.SecondFactors
	if sf.BackupCode && !sf.Any() {
		bad("auth.second_factors.backup_code", "backup codes are a fallback: switch on totp or phone_code too")
	}
	if sf.PhoneCode {
		if !c.Auth.Identifiers.PhoneNumber.Enabled {
			bad("auth.second_factors.phone_code", "needs auth.identifiers.phone_number.enabled")
		}
		if !c.SMS.Enabled() && !c.IsDevelopment() {
			bad("sms.twilio.account_sid", "is required in production when auth.second_factors.phone_code is on")
		}
	}
}
