package identity

import (
	"testing"

	"github.com/latchkey/latchkey/internal/apperr"
)

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{
		"Alice@Example.COM":        "alice@example.com",
		" bob+tag@example.co.uk ":  "bob+tag@example.co.uk",
		"o'reilly@sub.example.org": "o'reilly@sub.example.org",
	}
	for in, want := range good {
		got, err := NormalizeEmail("email_address", in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "plain", "a@b", "Alice <a@example.com>", "a@@example.com",
		"a@example..com", "a b@example.com", "a@.example.com", "a@example.com.", "'; DROP TABLE users;--@x.com x"} {
		if _, err := NormalizeEmail("email_address", in); !apperr.IsKind(err, apperr.KindInvalid) {
			t.Errorf("NormalizeEmail(%q) accepted an invalid address", in)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+15555550100":      "+15555550100",
		"+1 (555) 555-0100": "+15555550100",
		"+44 20 7946 0958":  "+442079460958",
	} {
		got, err := NormalizePhone("phone_number", in)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"5555550100", "+0123456789", "+1234", "+1234567890123456", "+1555a550100", "+１５５５５５５０１００"} {
		if _, err := NormalizePhone("phone_number", in); err == nil {
			t.Errorf("NormalizePhone(%q) accepted an invalid number", in)
		}
	}
}

func TestNormalizeUsername(t *testing.T) {
	if got, err := NormalizeUsername("Jane_Doe-42"); err != nil || got != "jane_doe-42" {
		t.Fatalf("got %q, %v", got, err)
	}
	cases := map[string]string{
		"abc": "form_username_invalid_length",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": "form_username_invalid_length",
		"jаne":     "form_username_invalid_character", // Cyrillic а
		"paypaӏ":   "form_username_invalid_character", // Cyrillic palochka
		"john doe": "form_username_invalid_character",
		"admin'--": "form_username_invalid_character",
	}
	for in, code := range cases {
		_, err := NormalizeUsername(in)
		if e := apperr.As(err); e == nil || e.Code != code {
			t.Errorf("NormalizeUsername(%q) = %v; want %s", in, err, code)
		}
	}
}
