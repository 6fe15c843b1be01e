package password

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, plain string
		want        error
	}{
		{"empty", "", ErrTooShort},
		{"7 chars", "x9$Lq!v", ErrTooShort},
		{"7 runes, 14 bytes", "ñøçłéßü", ErrTooShort},
		{"8 chars", "x9$Lq!vT", nil},
		{"8 runes", "ñøçłéßüÿ", nil},
		{"256 bytes", strings.Repeat("xY7!", 64), nil},
		{"257 bytes", strings.Repeat("xY7!", 64) + "z", ErrTooLong},
		{"1 MiB", strings.Repeat("a", 1<<20), ErrTooLong},
		{"common", "password123", ErrPwned},
		{"common mixed case", "PassWord123", ErrPwned},
		{"common upper case", "QWERTY123", ErrPwned},
		{"common", "iloveyou", ErrPwned},
		{"common mixed case", "TrustNo1", ErrPwned},
		{"near a common one", "geekboy1", nil},
		{"uncommon", "correct horse battery staple", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check(tc.plain); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("Check(%.20q) = %v, want %v", tc.plain, err, tc.want)
			}
		})
	}
}

func TestIsCommon(t *testing.T) {
	for plain, want := range map[string]bool{
		"123456":       true, // first line
		"geekboy":      true, // last line
		"GeekBoy":      true,
		"football":     true,
		"FOOTBALL":     true,
		"password1":    true,
		"PaSsWoRd1":    true,
		"football ":    false,
		"x9$Lq!vT2#mK": false,
		"":             false,
	} {
		if got := IsCommon(plain); got != want {
			t.Errorf("IsCommon(%q) = %v, want %v", plain, got, want)
		}
	}
	if n := len(commonPasswords()); n < 29000 || n > 30000 {
		t.Errorf("loaded %d common passwords, want about 30000", n)
	}
}
