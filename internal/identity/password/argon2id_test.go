package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"golang.org/x/crypto/argon2"
)

// Known answers from the Argon2 reference implementation's test suite
// (P-H-C/phc-winner-argon2, src/test.c): password "password", salt
// "somesalt", 32-byte tags.
var argon2KnownAnswers = []struct {
	variant, digest string
}{
	{"argon2id", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
	{"argon2id", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
	{"argon2i", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8"},
	{"argon2i", "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E"},
}

func TestArgon2KnownAnswers(t *testing.T) {
	for _, tc := range argon2KnownAnswers {
		t.Run(tc.digest, func(t *testing.T) {
			d, err := parseArgon2(tc.variant, tc.digest)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.String(); got != tc.digest {
				t.Errorf("re-encoded as %s", got)
			}
			for pw, want := range map[string]bool{"password": true, "passwore": false, "": false} {
				if ok, err := d.verify(pw); ok != want || err != nil {
					t.Errorf("verify(%q) = %v, %v; want %v", pw, ok, err, want)
				}
			}
			if d.current() {
				t.Error("m=256 digest reported current")
			}
		})
	}
}

var phcCurrent = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestNewArgon2idFormat(t *testing.T) {
	a, b := newArgon2id("hunter2hunter2").String(), newArgon2id("hunter2hunter2").String()
	for _, s := range []string{a, b} {
		if !phcCurrent.MatchString(s) {
			t.Fatalf("digest %q is not a current argon2id PHC string", s)
		}
	}
	if a == b {
		t.Error("two digests of one password are equal: salt not random")
	}
	d, err := parseArgon2("argon2id", a)
	if err != nil {
		t.Fatal(err)
	}
	if !d.current() {
		t.Error("fresh digest not current")
	}
}

// argon2idPHC builds an argon2id digest with arbitrary parameters, the way
// an older version of this package (or another system) would have.
func argon2idPHC(plain string, m, tm uint32, p uint8, salt []byte, keyLen uint32) string {
	key := argon2.IDKey([]byte(plain), salt, tm, m, p, keyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestArgon2Current(t *testing.T) {
	salt16 := []byte("0123456789abcdef")
	for _, tc := range []struct {
		name    string
		digest  string
		current bool
	}{
		{"current", argon2idPHC("pw", 19456, 2, 1, salt16, 32), true},
		{"less memory", argon2idPHC("pw", 4096, 3, 1, salt16, 32), false},
		{"fewer passes", argon2idPHC("pw", 19456, 1, 1, salt16, 32), false},
		{"more lanes", argon2idPHC("pw", 19456, 2, 2, salt16, 32), false},
		{"more memory", argon2idPHC("pw", 32768, 2, 1, salt16, 32), false},
		{"short salt", argon2idPHC("pw", 19456, 2, 1, salt16[:8], 32), false},
		{"short key", argon2idPHC("pw", 19456, 2, 1, salt16, 16), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseArgon2("argon2id", tc.digest)
			if err != nil {
				t.Fatal(err)
			}
			if d.current() != tc.current {
				t.Errorf("current() = %v, want %v", !tc.current, tc.current)
			}
			if ok, _ := d.verify("pw"); !ok {
				t.Error("does not verify")
			}
		})
	}
}

func TestParseArgon2Invalid(t *testing.T) {
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	for name, s := range map[string]string{
		"empty":           "",
		"other variant":   "$argon2i$v=19$m=256,t=2,p=1$" + salt + "$" + key,
		"argon2d":         "$argon2d$v=19$m=256,t=2,p=1$" + salt + "$" + key,
		"no version":      "$argon2id$m=256,t=2,p=1$" + salt + "$" + key,
		"version 16":      "$argon2id$v=16$m=256,t=2,p=1$" + salt + "$" + key,
		"missing t":       "$argon2id$v=19$m=256,p=1$" + salt + "$" + key,
		"repeated m":      "$argon2id$v=19$m=256,m=256,t=2,p=1$" + salt + "$" + key,
		"keyid":           "$argon2id$v=19$m=256,t=2,p=1,keyid=abc$" + salt + "$" + key,
		"negative":        "$argon2id$v=19$m=-256,t=2,p=1$" + salt + "$" + key,
		"p zero":          "$argon2id$v=19$m=256,t=2,p=0$" + salt + "$" + key,
		"p 256":           "$argon2id$v=19$m=4096,t=2,p=256$" + salt + "$" + key,
		"m below 8p":      "$argon2id$v=19$m=8,t=2,p=2$" + salt + "$" + key,
		"m above bound":   "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key,
		"t zero":          "$argon2id$v=19$m=256,t=0,p=1$" + salt + "$" + key,
		"t above bound":   "$argon2id$v=19$m=256,t=1000,p=1$" + salt + "$" + key,
		"salt not base64": "$argon2id$v=19$m=256,t=2,p=1$c29t*XNhbHQ$" + key,
		"salt too short":  "$argon2id$v=19$m=256,t=2,p=1$c2FsdA$" + key,
		"hash too short":  "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$AAA",
		"trailing field":  "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key + "$",
		"no leading $":    "argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseArgon2("argon2id", s); !errors.Is(err, ErrInvalidDigest) {
				t.Errorf("err = %v, want ErrInvalidDigest", err)
			}
		})
	}
}
