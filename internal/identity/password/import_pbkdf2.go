package password

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Bounds for imported PBKDF2 digests. Django 6 defaults to 1.2 million
// iterations; ten million of SHA-1 still finishes in seconds.
const (
	pbkdf2MaxIterations = 10_000_000
	pbkdf2MaxSaltLen    = 1024
	pbkdf2MinKeyLen     = 8
	pbkdf2MaxKeyLen     = 128
)

type pbkdf2Digest struct {
	imported
	hash func() hash.Hash
	iter int
	salt []byte
	key  []byte
}

func (d *pbkdf2Digest) verify(plain string) (bool, error) {
	k, err := pbkdf2.Key(d.hash, plain, d.salt, d.iter, len(d.key))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(k, d.key) == 1, nil
}

// pbkdf2_sha256 accepts
//
//	pbkdf2_sha256$<iterations>$<base64 salt>$<base64 hash>   (Clerk)
//	$pbkdf2-sha256$<iterations>$<ab64 salt>$<ab64 hash>      (passlib)
//	$pbkdf2-sha256$i=<iterations>[,l=<len>]$<salt>$<hash>    (PHC)
//
// Django's own export, whose salt is not encoded, is pbkdf2_sha256_django.
func parsePBKDF2SHA256(s string) (digest, error) {
	const name = "pbkdf2_sha256"
	if strings.HasPrefix(s, "$") {
		return parsePBKDF2PHC(name, sha256.New, s, "pbkdf2-sha256")
	}
	f, err := fields(name, s, "pbkdf2_sha256$", 3, 3)
	if err != nil {
		return nil, err
	}
	salt, err := decodeBase64(f[1])
	if err != nil {
		return nil, fmt.Errorf("%w: %s salt is not base64", ErrInvalidDigest, name)
	}
	key, err := decodeBase64(f[2])
	if err != nil {
		return nil, fmt.Errorf("%w: %s hash is not base64", ErrInvalidDigest, name)
	}
	return newPBKDF2(name, sha256.New, f[0], salt, key)
}

// pbkdf2_sha256_django accepts Django's pbkdf2_sha256$<iterations>$<salt>$<base64 hash>,
// where the salt is used as is.
func parsePBKDF2SHA256Django(s string) (digest, error) {
	const name = "pbkdf2_sha256_django"
	f, err := fields(name, s, "pbkdf2_sha256$", 3, 3)
	if err != nil {
		return nil, err
	}
	key, err := decodeBase64(f[2])
	if err != nil {
		return nil, fmt.Errorf("%w: %s hash is not base64", ErrInvalidDigest, name)
	}
	return newPBKDF2(name, sha256.New, f[0], []byte(f[1]), key)
}

// pbkdf2_sha512 accepts
//
//	pbkdf2_sha512$<iterations>$<salt>$<hex hash>            (Clerk; salt used as is)
//	$pbkdf2-sha512$<iterations>$<ab64 salt>$<ab64 hash>     (passlib)
//	$pbkdf2-sha512$i=<iterations>[,l=<len>]$<salt>$<hash>   (PHC)
func parsePBKDF2SHA512(s string) (digest, error) {
	const name = "pbkdf2_sha512"
	if strings.HasPrefix(s, "$") {
		return parsePBKDF2PHC(name, sha512.New, s, "pbkdf2-sha512")
	}
	f, err := fields(name, s, "pbkdf2_sha512$", 3, 3)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(f[2])
	if err != nil {
		return nil, fmt.Errorf("%w: %s hash is not hex", ErrInvalidDigest, name)
	}
	return newPBKDF2(name, sha512.New, f[0], []byte(f[1]), key)
}

// pbkdf2_sha512_hex accepts pbkdf2_sha512_hex$<iterations>$<hex salt>$<hex hash> (Clerk).
func parsePBKDF2SHA512Hex(s string) (digest, error) {
	const name = "pbkdf2_sha512_hex"
	f, err := fields(name, s, "pbkdf2_sha512_hex$", 3, 3)
	if err != nil {
		return nil, err
	}
	salt, err := hex.DecodeString(f[1])
	if err != nil {
		return nil, fmt.Errorf("%w: %s salt is not hex", ErrInvalidDigest, name)
	}
	key, err := hex.DecodeString(f[2])
	if err != nil {
		return nil, fmt.Errorf("%w: %s hash is not hex", ErrInvalidDigest, name)
	}
	return newPBKDF2(name, sha512.New, f[0], salt, key)
}

// pbkdf2_sha1 accepts
//
//	pbkdf2_sha1$<iterations>$<salt>$<hex hash>[$<key length>]  (Clerk)
//	pbkdf2_sha1$<iterations>$<salt>$<base64 hash>               (Django)
//	$pbkdf2$<iterations>$<ab64 salt>$<ab64 hash>                (passlib)
//	$pbkdf2-sha1$i=<iterations>[,l=<len>]$<salt>$<hash>         (PHC)
//
// With a hex hash, Clerk's rule applies to the salt: hex-decoded when it is
// valid hex, else used as is. With a base64 hash (Django) it is used as is.
func parsePBKDF2SHA1(s string) (digest, error) {
	const name = "pbkdf2_sha1"
	switch {
	case strings.HasPrefix(s, "$pbkdf2$"):
		return parsePBKDF2PHC(name, sha1.New, s, "pbkdf2")
	case strings.HasPrefix(s, "$"):
		return parsePBKDF2PHC(name, sha1.New, s, "pbkdf2-sha1")
	}
	f, err := fields(name, s, "pbkdf2_sha1$", 3, 4)
	if err != nil {
		return nil, err
	}
	salt := []byte(f[1])
	var key []byte
	if isHex(f[2]) {
		key, _ = hex.DecodeString(f[2])
		if isHex(f[1]) {
			salt, _ = hex.DecodeString(f[1])
		}
	} else {
		if len(f) == 4 {
			return nil, fmt.Errorf("%w: %s hash with a key length must be hex", ErrInvalidDigest, name)
		}
		if key, err = decodeBase64(f[2]); err != nil {
			return nil, fmt.Errorf("%w: %s hash is neither hex nor base64", ErrInvalidDigest, name)
		}
	}
	if len(f) == 4 {
		if n, err := strconv.Atoi(f[3]); err != nil || n != len(key) {
			return nil, fmt.Errorf("%w: %s key length %q does not match the %d-byte hash", ErrInvalidDigest, name, f[3], len(key))
		}
	}
	return newPBKDF2(name, sha1.New, f[0], salt, key)
}

// parsePBKDF2PHC parses $<ident>$<params>$<salt>$<hash>, where params is
// either a bare iteration count (passlib) or i=<iterations>[,l=<key length>]
// (PHC), and salt and hash are base64 in any common dialect.
func parsePBKDF2PHC(name string, h func() hash.Hash, s, ident string) (digest, error) {
	f, err := fields(name, s, "$"+ident+"$", 3, 3)
	if err != nil {
		return nil, err
	}
	iter, keyLen := f[0], ""
	if strings.Contains(f[0], "=") {
		iter = ""
		for param := range strings.SplitSeq(f[0], ",") {
			k, v, _ := strings.Cut(param, "=")
			switch {
			case k == "i" && iter == "":
				iter = v
			case k == "l" && keyLen == "":
				keyLen = v
			default:
				return nil, fmt.Errorf("%w: unexpected %s parameter %q", ErrInvalidDigest, name, param)
			}
		}
	}
	salt, err := decodeBase64(f[1])
	if err != nil {
		return nil, fmt.Errorf("%w: %s salt is not base64", ErrInvalidDigest, name)
	}
	key, err := decodeBase64(f[2])
	if err != nil {
		return nil, fmt.Errorf("%w: %s hash is not base64", ErrInvalidDigest, name)
	}
	if keyLen != "" {
		if n, err := strconv.Atoi(keyLen); err != nil || n != len(key) {
			return nil, fmt.Errorf("%w: %s l=%s does not match the %d-byte hash", ErrInvalidDigest, name, keyLen, len(key))
		}
	}
	return newPBKDF2(name, h, iter, salt, key)
}

// newPBKDF2 checks the decoded parts against the bounds.
func newPBKDF2(name string, h func() hash.Hash, iter string, salt, key []byte) (*pbkdf2Digest, error) {
	n, err := strconv.ParseUint(iter, 10, 32)
	if err != nil || n < 1 || n > pbkdf2MaxIterations {
		return nil, fmt.Errorf("%w: %s iterations %q not in [1, %d]", ErrInvalidDigest, name, iter, pbkdf2MaxIterations)
	}
	if len(salt) == 0 || len(salt) > pbkdf2MaxSaltLen {
		return nil, fmt.Errorf("%w: %s salt length %d not in [1, %d]", ErrInvalidDigest, name, len(salt), pbkdf2MaxSaltLen)
	}
	if len(key) < pbkdf2MinKeyLen || len(key) > pbkdf2MaxKeyLen {
		return nil, fmt.Errorf("%w: %s hash length %d not in [%d, %d]", ErrInvalidDigest, name, len(key), pbkdf2MinKeyLen, pbkdf2MaxKeyLen)
	}
	return &pbkdf2Digest{hash: h, iter: int(n), salt: salt, key: key}, nil
}
