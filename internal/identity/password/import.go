package password

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors for digests that cannot be used. Both are returned wrapped, with
// detail that never repeats the digest itself; test them with errors.Is.
var (
	// ErrUnsupportedHasher: the hasher name is not one this package knows.
	ErrUnsupportedHasher = errors.New("password: unsupported hasher")
	// ErrInvalidDigest: the digest is not well formed for its hasher, or
	// asks for parameters outside the bounds this package will run.
	ErrInvalidDigest = errors.New("password: invalid digest")
)

// digest is a parsed, well-formed stored digest of one hasher.
type digest interface {
	// verify reports whether plain is the password; err only for a failure
	// of the algorithm itself, never for a wrong password.
	verify(plain string) (bool, error)
	// current reports whether the digest is what Hash would store today.
	current() bool
}

// parsers maps each supported hasher name (as Clerk's password_hasher
// spells it) to the parser of its digests.
var parsers = map[string]func(string) (digest, error){
	"argon2id":             func(s string) (digest, error) { return parseArgon2("argon2id", s) },
	"argon2i":              func(s string) (digest, error) { return parseArgon2("argon2i", s) },
	"bcrypt":               parseBcrypt,
	"bcrypt_sha256_django": parseBcryptSHA256Django,
	"pbkdf2_sha1":          parsePBKDF2SHA1,
	"pbkdf2_sha256":        parsePBKDF2SHA256,
	"pbkdf2_sha256_django": parsePBKDF2SHA256Django,
	"pbkdf2_sha512":        parsePBKDF2SHA512,
	"pbkdf2_sha512_hex":    parsePBKDF2SHA512Hex,
	"scrypt_werkzeug":      parseScryptWerkzeug,
	"md5":                  parseMD5,
	"sha256":               parseSHA256,
}

// SupportedHashers lists the hasher names Verify and ValidateDigest accept,
// sorted.
func SupportedHashers() []string {
	names := make([]string, 0, len(parsers))
	for name := range parsers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// ValidateDigest checks, when a user is imported, that digest is well formed
// for hasher, so a bad export fails then rather than at the user's first
// sign-in. It returns an error wrapping ErrUnsupportedHasher or
// ErrInvalidDigest.
func ValidateDigest(hasher, digest string) error {
	_, err := parseDigest(hasher, digest)
	return err
}

func parseDigest(hasher, s string) (digest, error) {
	parse, ok := parsers[hasher]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedHasher, hasher)
	}
	return parse(s)
}

// imported marks digests from other systems: never current, so a successful
// sign-in always replaces them with argon2id.
type imported struct{}

func (imported) current() bool { return false }

// decodeBase64 accepts the base64 dialects password digests use: standard,
// with or without padding, passlib's "adapted" alphabet ('.' for '+') and
// the URL-safe alphabet.
func decodeBase64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(toStdBase64.Replace(strings.TrimRight(s, "=")))
}

var toStdBase64 = strings.NewReplacer(".", "+", "-", "+", "_", "/")

// isHex reports whether s is a non-empty, even-length hex string.
func isHex(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// decodeHexOrBase64 decodes a hash given in hex when it is valid hex, else in
// base64. (A hash of 8 bytes or more in base64 is all hex digits with
// negligible probability.)
func decodeHexOrBase64(s string) ([]byte, error) {
	if isHex(s) {
		return hex.DecodeString(s)
	}
	return decodeBase64(s)
}

// fields strips prefix from s and splits the rest on '$' into lo to
// hi non-empty fields.
func fields(name, s, prefix string, lo, hi int) ([]string, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, fmt.Errorf("%w: %s digest must start with %q", ErrInvalidDigest, name, prefix)
	}
	f := strings.Split(rest, "$")
	if len(f) < lo || len(f) > hi || slices.Contains(f, "") {
		return nil, fmt.Errorf("%w: %s digest has the wrong number of '$'-separated fields", ErrInvalidDigest, name)
	}
	return f, nil
}
