package identity

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/apperr"
)

// Username limits, as Clerk's.
const (
	UsernameMinLength = 4
	UsernameMaxLength = 64
	emailMaxLength    = 254
)

// NormalizeEmail validates an email address and returns its canonical,
// lower-cased form; addresses are compared case-insensitively everywhere.
func NormalizeEmail(param, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	invalid := apperr.ParamInvalid(param, param+" must be a valid email address.")
	if s == "" || len(s) > emailMaxLength || !utf8.ValidString(s) {
		return "", invalid
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", invalid // display names, comments and angle brackets are not addresses
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.HasPrefix(domain, "[") {
		return "", invalid
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return "", invalid
		}
	}
	return strings.ToLower(s), nil
}

// NormalizePhone validates a phone number (see ParsePhone) and returns its
// E.164 form.
func NormalizePhone(param, raw string) (string, error) {
	p, err := ParsePhone(param, raw)
	return p.E164, err
}

// NormalizeUsername checks Clerk's username rules and returns the lower-cased
// form. Only ASCII letters, digits, '-' and '_' are allowed, which also rules
// out look-alike (homograph) characters from other scripts.
func NormalizeUsername(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	n := utf8.RuneCountInString(s)
	if n < UsernameMinLength || n > UsernameMaxLength {
		return "", apperr.New(apperr.KindInvalid, "form_username_invalid_length",
			"Username must be between 4 and 64 characters long.",
			"Username must be between 4 and 64 characters long.").WithParam("username")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", apperr.New(apperr.KindInvalid, "form_username_invalid_character",
				"Usernames can only contain letters, numbers, '-' and '_'.",
				"Usernames can only contain Latin letters (a-z), numbers, '-' and '_'.").WithParam("username")
		}
	}
	return strings.ToLower(s), nil
}
