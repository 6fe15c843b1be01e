package signin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"math/big"
)

// Secrets hashes one-time codes and link tokens with HMAC-SHA-256 under a
// server key, so a stolen database does not let anyone brute-force the
// million possible 6-digit codes offline.
type Secrets struct{ key []byte }

// NewSecrets derives the HMAC key from the instance encryption key.
func NewSecrets(encryptionKey []byte) *Secrets {
	m := hmac.New(sha256.New, encryptionKey)
	m.Write([]byte("latchkey/one-time-secrets/v1"))
	return &Secrets{key: m.Sum(nil)}
}

// Hash returns the stored form of a code or token.
func (s *Secrets) Hash(secret string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// Equal compares a presented secret with a stored hash in constant time.
func (s *Secrets) Equal(presented string, stored []byte) bool {
	return len(stored) > 0 && subtle.ConstantTimeCompare(s.Hash(presented), stored) == 1
}

// NewCode returns a uniformly random 6-digit code.
func NewCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("signin: crypto/rand failed: " + err.Error())
	}
	s := n.String()
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

// NewLinkToken returns a 256-bit URL-safe token for an email link.
func NewLinkToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("signin: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
