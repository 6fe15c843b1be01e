// Package ids mints prefixed, time-sortable identifiers such as
// "user_2ZtB4yQ1nU7m0dP9kLx3aW5vRs". The 22 characters after the prefix are
// 128 bits in base62 — 48 bits of milliseconds followed by 80 random bits —
// encoded at fixed width with an alphabet in ASCII order, so string order is
// creation order (to the millisecond) and ids index well in B-trees.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"math/big"
	"strings"
	"time"
)

// Prefixes in use. Keep them short and unique; they tell a reader what an id names.
const (
	User           = "user"
	Identification = "idn" // email addresses and phone numbers
	SecretKey      = "ak"  // API (secret) key records, not the key itself
	SigningKey     = "ins" // kid of an instance signing key
	Email          = "eml" // a message in the email outbox
)

const (
	alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	width    = 22 // ceil(128 / log2(62))
)

var base = big.NewInt(62)

// New returns prefix_<22 base62 chars> for the current time.
func New(prefix string) string { return NewAt(prefix, time.Now()) }

// NewAt is New with an explicit time, for imports that carry their own created_at.
func NewAt(prefix string, t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16) // top 48 bits hold the milliseconds
	if _, err := rand.Read(b[6:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error())
	}
	n := new(big.Int).SetBytes(b[:])
	out := make([]byte, width)
	mod := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return prefix + "_" + string(out)
}

// HasPrefix reports whether id looks like one minted with prefix.
func HasPrefix(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != width {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(alphabet, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// Prefixes of the sign-in engine's objects.
const (
	Client       = "client"
	Session      = "sess"
	SignIn       = "sia"
	SignUp       = "sua"
	Verification = "ver"
)

// Derive returns a stable id for seed: the same seed always gives the same
// id. It is used for stand-in objects that must look like real ones.
func Derive(prefix string, seed []byte) string {
	var b [16]byte
	copy(b[:], seed)
	n := new(big.Int).SetBytes(b[:])
	out := make([]byte, width)
	mod := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return prefix + "_" + string(out)
}

// OAuthApp prefixes the OAuth/OIDC provider's applications; OAuthGrant its grants.
const (
	OAuthApp   = "oa"
	OAuthGrant = "grt"
)

// Prefixes of social connections: ExternalAccount is a user's account at an
// upstream provider (Clerk's "eac_"), RedirectURL an allowlisted native-app
// redirect URL (Clerk's "ru_").
const (
	ExternalAccount = "eac"
	RedirectURL     = "ru"
	// UpstreamAuthorization is one round trip to an upstream provider.
	UpstreamAuthorization = "uau"
)
