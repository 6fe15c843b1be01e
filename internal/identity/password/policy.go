package password

import (
	_ "embed"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"
)

const (
	// MinLength is the fewest characters (Unicode code points) a new
	// password may have.
	MinLength = 8
	// MaxLength is the most bytes a password may have. Longer ones are
	// refused before any hashing, so a huge body cannot buy seconds of CPU.
	MaxLength = 256
)

// Errors returned by Check.
var (
	ErrTooShort = errors.New("password: too short")
	ErrTooLong  = errors.New("password: too long")
	ErrPwned    = errors.New("password: too common")
)

// commonPasswordsFile holds the 30,000 most common passwords, one per line
// (zxcvbn frequency list, MIT).
//
//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is built on first use, lower-cased.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 30000)
	for line := range strings.Lines(commonPasswordsFile) {
		if p := strings.TrimSpace(line); p != "" {
			set[strings.ToLower(p)] = struct{}{}
		}
	}
	return set
})

// IsCommon reports whether plain, compared case-insensitively, is one of
// the common passwords.
func IsCommon(plain string) bool {
	if len(plain) > MaxLength {
		return false // no list entry is that long; skip lower-casing it
	}
	_, ok := commonPasswords()[strings.ToLower(plain)]
	return ok
}

// Check applies the policy for a new password: it returns ErrTooLong,
// ErrTooShort or ErrPwned, tested in that order, or nil.
func Check(plain string) error {
	switch {
	case len(plain) > MaxLength:
		return ErrTooLong
	case utf8.RuneCountInString(plain) < MinLength:
		return ErrTooShort
	case IsCommon(plain):
		return ErrPwned
	}
	return nil
}
