package password

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
)

// unsaltedDigest is a bare, unsalted hex digest of the password (md5,
// sha256). Insecure; accepted only so imported users can sign in once and be
// moved to argon2id.
type unsaltedDigest struct {
	imported
	sum func(p []byte) []byte
	key []byte
}

func (d *unsaltedDigest) verify(plain string) (bool, error) {
	return subtle.ConstantTimeCompare(d.sum([]byte(plain)), d.key) == 1, nil
}

// md5 accepts 32 hex digits, e.g. 5f4dcc3b5aa765d61d8327deb882cf99.
func parseMD5(s string) (digest, error) {
	return newUnsalted("md5", s, md5.Size, func(p []byte) []byte { h := md5.Sum(p); return h[:] })
}

// sha256 accepts 64 hex digits.
func parseSHA256(s string) (digest, error) {
	return newUnsalted("sha256", s, sha256.Size, func(p []byte) []byte { h := sha256.Sum256(p); return h[:] })
}

func newUnsalted(name, s string, size int, sum func([]byte) []byte) (digest, error) {
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != size {
		return nil, fmt.Errorf("%w: %s digest must be %d hex digits", ErrInvalidDigest, name, 2*size)
	}
	return &unsaltedDigest{sum: sum, key: key}, nil
}
