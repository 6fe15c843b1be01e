package password

import (
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Bounds for imported scrypt digests: 128·N·r bytes of memory per
// verification at most, and few enough sequential passes.
const (
	scryptMaxMemory = 1 << 30 // bytes
	scryptMaxP      = 16
	scryptMinKeyLen = 8
	scryptMaxKeyLen = 128
)

type scryptDigest struct {
	imported
	n, r, p int
	salt    []byte
	key     []byte
}

func (d *scryptDigest) verify(plain string) (bool, error) {
	k, err := scrypt.Key([]byte(plain), d.salt, d.n, d.r, d.p, len(d.key))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(k, d.key) == 1, nil
}

// scrypt_werkzeug accepts Werkzeug's scrypt:<N>:<r>:<p>$<salt>$<hex hash>
// (plain "scrypt" meaning Werkzeug's defaults N=32768, r=8, p=1), with an
// optional leading '$' as Clerk documents it and the hash in hex or base64.
// The salt is used as is.
func parseScryptWerkzeug(s string) (digest, error) {
	const name = "scrypt_werkzeug"
	f, err := fields(name, strings.TrimPrefix(s, "$"), "", 3, 3)
	if err != nil {
		return nil, err
	}
	d := &scryptDigest{n: 1 << 15, r: 8, p: 1, salt: []byte(f[1])}
	switch method, args, _ := strings.Cut(f[0], ":"); {
	case method != "scrypt":
		return nil, fmt.Errorf("%w: %s method must be scrypt", ErrInvalidDigest, name)
	case args != "":
		a := strings.Split(args, ":")
		if len(a) != 3 {
			return nil, fmt.Errorf("%w: %s method must be scrypt:<N>:<r>:<p>", ErrInvalidDigest, name)
		}
		for i, v := range []*int{&d.n, &d.r, &d.p} {
			n, err := strconv.ParseUint(a[i], 10, 31)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("%w: %s parameter %q is not a positive number", ErrInvalidDigest, name, a[i])
			}
			*v = int(n)
		}
	}
	if d.n < 2 || d.n&(d.n-1) != 0 {
		return nil, fmt.Errorf("%w: %s N=%d is not a power of two", ErrInvalidDigest, name, d.n)
	}
	if d.p > scryptMaxP || int64(128)*int64(d.n)*int64(d.r) > scryptMaxMemory {
		return nil, fmt.Errorf("%w: %s parameters N=%d r=%d p=%d exceed the bounds", ErrInvalidDigest, name, d.n, d.r, d.p)
	}
	if d.key, err = decodeHexOrBase64(f[2]); err != nil {
		return nil, fmt.Errorf("%w: %s hash is neither hex nor base64", ErrInvalidDigest, name)
	}
	if len(d.key) < scryptMinKeyLen || len(d.key) > scryptMaxKeyLen {
		return nil, fmt.Errorf("%w: %s hash length %d not in [%d, %d]", ErrInvalidDigest, name, len(d.key), scryptMinKeyLen, scryptMaxKeyLen)
	}
	return d, nil
}
