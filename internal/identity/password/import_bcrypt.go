package password

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptMaxCost bounds imported bcrypt costs: each step doubles the work,
// and cost 16 already takes seconds.
const bcryptMaxCost = 16

// bcryptAlphabet is bcrypt's base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

type bcryptDigest struct {
	imported
	hash []byte
	// sha256Hex: Django's BCryptSHA256PasswordHasher feeds bcrypt the hex
	// SHA-256 of the password rather than the password.
	sha256Hex bool
}

func (d *bcryptDigest) verify(plain string) (bool, error) {
	p := []byte(plain)
	if d.sha256Hex {
		sum := sha256.Sum256(p)
		p = []byte(hex.EncodeToString(sum[:]))
	}
	err := bcrypt.CompareHashAndPassword(d.hash, p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, err
	}
}

// bcrypt accepts $2a$, $2b$ and $2y$ digests: $<version>$<cost>$<salt & hash>.
func parseBcrypt(s string) (digest, error) {
	return newBcrypt("bcrypt", s)
}

// bcrypt_sha256_django accepts Django's bcrypt_sha256$<bcrypt digest>.
func parseBcryptSHA256Django(s string) (digest, error) {
	const name = "bcrypt_sha256_django"
	rest, ok := strings.CutPrefix(s, "bcrypt_sha256$")
	if !ok {
		return nil, fmt.Errorf("%w: %s digest must start with %q", ErrInvalidDigest, name, "bcrypt_sha256$")
	}
	d, err := newBcrypt(name, rest)
	if err != nil {
		return nil, err
	}
	d.sha256Hex = true
	return d, nil
}

// newBcrypt checks the modular-crypt layout strictly (x/crypto/bcrypt itself
// is lenient about the version and the length of the hash).
func newBcrypt(name, s string) (*bcryptDigest, error) {
	if len(s) != 60 || s[0] != '$' || s[1] != '2' || !strings.ContainsRune("aby", rune(s[2])) ||
		s[3] != '$' || !isDigit(s[4]) || !isDigit(s[5]) || s[6] != '$' {
		return nil, fmt.Errorf("%w: %s digest is not $2a$, $2b$ or $2y$ followed by cost, salt and hash", ErrInvalidDigest, name)
	}
	for i := 7; i < len(s); i++ {
		if !strings.ContainsRune(bcryptAlphabet, rune(s[i])) {
			return nil, fmt.Errorf("%w: %s salt and hash are not bcrypt base64", ErrInvalidDigest, name)
		}
	}
	cost, err := bcrypt.Cost([]byte(s))
	if err != nil || cost > bcryptMaxCost {
		return nil, fmt.Errorf("%w: %s cost %s not in [%d, %d]", ErrInvalidDigest, name, s[4:6], bcrypt.MinCost, bcryptMaxCost)
	}
	return &bcryptDigest{hash: []byte(s)}, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
