package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The sms section: every mistake names its field, phone_code needs a
// provider in production, and the auth token comes from the environment.
func TestSMSConfig(t *testing.T) {
	dir := t.TempDir()
	prod := map[string]string{"DATABASE_URL": "postgres://x", "LATCHKEY_SMTP_PASSWORD": "x",
		"LATCHKEY_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
	load := func(body string, extra map[string]string) error {
		t.Helper()
		path := filepath.Join(dir, "c.yaml")
		body = "public_url: https://auth.example.com\nemail: {smtp: {host: smtp.example.com, username: u, from: a@example.com}}\n" + body
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{}
		for k, v := range prod {
			vars[k] = v
		}
		for k, v := range extra {
			vars[k] = v
		}
		_, err := Load(path, env(vars))
		return err
	}
	twilio := "sms: {twilio: {account_sid: AC1, from: '+15555550100'}}\n"
	bad := map[string]string{
		"auth: {first_factors: {phone_code: true}}\n":                                                         "sms.twilio.account_sid",
		"auth: {identifiers: {phone_number: {enabled: false}}, first_factors: {phone_code: true}}\n" + twilio: "auth.first_factors.phone_code",
		twilio: "sms.twilio.auth_token",
		"sms: {twilio: {from: '+15555550100'}}\n":                                             "sms.twilio.account_sid",
		"sms: {twilio: {account_sid: AC1, from: '+1', base_url: 'http://sms.example.com'}}\n": "sms.twilio.base_url",
		"sms: {allowed_calling_codes: [1, 0]}\n":                                              "sms.allowed_calling_codes[1]",
		"sms: {max_attempts: 1000}\n":                                                         "sms.max_attempts",
	}
	for body, want := range bad {
		if err := load(body, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to name %s", body, err, want)
		}
	}
	good := "auth: {first_factors: {phone_code: true}}\n" + twilio
	if err := load(good, map[string]string{"LATCHKEY_SMS_AUTH_TOKEN": "tok"}); err != nil {
		t.Fatalf("a complete sms section: %v", err)
	}
	if err := load("auth: {first_factors: {phone_code: true}}\n", map[string]string{"LATCHKEY_ENV": "development"}); err != nil {
		t.Fatalf("phone_code in development without a provider (dev outbox): %v", err)
	}
}
