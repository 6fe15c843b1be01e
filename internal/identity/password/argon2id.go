package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// DefaultHasher is the hasher name of every digest produced by Hasher.Hash.
const DefaultHasher = "argon2id"

// Current argon2id parameters: the OWASP Password Storage Cheat Sheet
// minimum (19 MiB of memory, two passes, one lane).
const (
	argon2Memory  uint32 = 19456 // KiB
	argon2Time    uint32 = 2
	argon2Threads uint8  = 1
	argon2SaltLen        = 16
	argon2KeyLen         = 32
)

// argon2Version is the only version golang.org/x/crypto/argon2 computes (1.3).
const argon2Version = 19

// Bounds for parameters read from stored or imported PHC strings, so a
// hostile digest cannot make one verification allocate or run without limit.
const (
	argon2MaxMemory  = 1 << 20 // KiB, 1 GiB
	argon2MaxTime    = 64
	argon2MinSaltLen = 8 // the Argon2 specification's minimum
	argon2MaxSaltLen = 1024
	argon2MinKeyLen  = 4 // the Argon2 specification's minimum
	argon2MaxKeyLen  = 1024
)

// argon2Digest is a parsed argon2i or argon2id PHC string.
type argon2Digest struct {
	variant string // "argon2id" or "argon2i"
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// newArgon2id derives a digest for plain with the current parameters and a
// fresh random salt.
func newArgon2id(plain string) *argon2Digest {
	salt := make([]byte, argon2SaltLen)
	rand.Read(salt) // never fails; crashes the program if the OS cannot supply randomness
	return &argon2Digest{
		variant: DefaultHasher,
		memory:  argon2Memory,
		time:    argon2Time,
		threads: argon2Threads,
		salt:    salt,
		key:     argon2.IDKey([]byte(plain), salt, argon2Time, argon2Memory, argon2Threads, argon2KeyLen),
	}
}

// String encodes d as $<variant>$v=19$m=<m>,t=<t>,p=<p>$<salt>$<key>, with
// unpadded standard base64.
func (d *argon2Digest) String() string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s",
		d.variant, argon2Version, d.memory, d.time, d.threads,
		base64.RawStdEncoding.EncodeToString(d.salt),
		base64.RawStdEncoding.EncodeToString(d.key))
}

// derive computes the tag for plain with d's variant, parameters and salt.
func (d *argon2Digest) derive(plain string) []byte {
	n := uint32(len(d.key))
	if d.variant == "argon2i" {
		return argon2.Key([]byte(plain), d.salt, d.time, d.memory, d.threads, n)
	}
	return argon2.IDKey([]byte(plain), d.salt, d.time, d.memory, d.threads, n)
}

func (d *argon2Digest) verify(plain string) (bool, error) {
	return subtle.ConstantTimeCompare(d.derive(plain), d.key) == 1, nil
}

// current reports whether d was made with exactly the current argon2id
// parameters. Anything else — a weaker (or merely different) cost, a shorter
// salt or key, the argon2i variant — should be replaced by a fresh Hash.
func (d *argon2Digest) current() bool {
	return d.variant == DefaultHasher &&
		d.memory == argon2Memory &&
		d.time == argon2Time &&
		d.threads == argon2Threads &&
		len(d.salt) == argon2SaltLen &&
		len(d.key) == argon2KeyLen
}

// parseArgon2 parses a PHC string of the given variant ("argon2id" or
// "argon2i"). Any m, t and p within bounds are accepted so digests made with
// older parameters still verify; only version 19 is supported.
func parseArgon2(variant, s string) (*argon2Digest, error) {
	parts := strings.Split(s, "$")
	// "", variant, "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) == 5 && parts[0] == "" && parts[1] == variant {
		return nil, fmt.Errorf("%w: %s digest lacks v=19 (Argon2 version 1.0 is not supported)", ErrInvalidDigest, variant)
	}
	if len(parts) != 6 || parts[0] != "" || parts[1] != variant {
		return nil, fmt.Errorf("%w: not a $%s$ PHC string", ErrInvalidDigest, variant)
	}
	if parts[2] != "v="+strconv.Itoa(argon2Version) {
		return nil, fmt.Errorf("%w: unsupported %s version %q", ErrInvalidDigest, variant, parts[2])
	}
	d := &argon2Digest{variant: variant}
	if err := d.parseParams(parts[3]); err != nil {
		return nil, err
	}
	var err error
	if d.salt, err = decodeBase64(parts[4]); err != nil {
		return nil, fmt.Errorf("%w: %s salt is not base64", ErrInvalidDigest, variant)
	}
	if d.key, err = decodeBase64(parts[5]); err != nil {
		return nil, fmt.Errorf("%w: %s hash is not base64", ErrInvalidDigest, variant)
	}
	if n := len(d.salt); n < argon2MinSaltLen || n > argon2MaxSaltLen {
		return nil, fmt.Errorf("%w: %s salt length %d outside [%d, %d]", ErrInvalidDigest, variant, n, argon2MinSaltLen, argon2MaxSaltLen)
	}
	if n := len(d.key); n < argon2MinKeyLen || n > argon2MaxKeyLen {
		return nil, fmt.Errorf("%w: %s hash length %d outside [%d, %d]", ErrInvalidDigest, variant, n, argon2MinKeyLen, argon2MaxKeyLen)
	}
	return d, nil
}

// parseParams reads "m=<KiB>,t=<passes>,p=<lanes>": each exactly once, in
// any order, nothing else (keyid and data are not supported).
func (d *argon2Digest) parseParams(s string) error {
	var m, t, p uint64
	var seen [3]bool
	for field := range strings.SplitSeq(s, ",") {
		name, value, ok := strings.Cut(field, "=")
		n, err := strconv.ParseUint(value, 10, 32)
		if !ok || err != nil {
			return fmt.Errorf("%w: %s parameter %q is not name=number", ErrInvalidDigest, d.variant, field)
		}
		var i int
		switch name {
		case "m":
			i, m = 0, n
		case "t":
			i, t = 1, n
		case "p":
			i, p = 2, n
		default:
			return fmt.Errorf("%w: unsupported %s parameter %q", ErrInvalidDigest, d.variant, name)
		}
		if seen[i] {
			return fmt.Errorf("%w: repeated %s parameter %q", ErrInvalidDigest, d.variant, name)
		}
		seen[i] = true
	}
	if seen != [3]bool{true, true, true} {
		return fmt.Errorf("%w: %s digest needs m, t and p", ErrInvalidDigest, d.variant)
	}
	if p < 1 || p > 255 {
		return fmt.Errorf("%w: %s parallelism %d outside [1, 255]", ErrInvalidDigest, d.variant, p)
	}
	if m < 8*p || m > argon2MaxMemory {
		return fmt.Errorf("%w: %s memory %d KiB outside [8p, %d]", ErrInvalidDigest, d.variant, m, argon2MaxMemory)
	}
	if t < 1 || t > argon2MaxTime {
		return fmt.Errorf("%w: %s time %d outside [1, %d]", ErrInvalidDigest, d.variant, t, argon2MaxTime)
	}
	d.memory, d.time, d.threads = uint32(m), uint32(t), uint8(p)
	return nil
}
