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
	"sync"
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

// New returns prefix_<22 base62 chars> for the current time. The ids one
// process mints are strictly increasing: within one millisecond the next id
// is the previous one plus a random step (ULID's monotonic mode, with a
// random rather than unit step), so rows made in the same millisecond still
// list in creation order when sorted by id.
func New(prefix string) string {
	ms := uint64(time.Now().UnixMilli())
	mono.Lock()
	defer mono.Unlock()
	if ms > mono.ms || !mono.next() {
		mono.ms = max(ms, mono.ms+1)
		if _, err := rand.Read(mono.random[:]); err != nil {
			panic("ids: crypto/rand failed: " + err.Error())
		}
		mono.random[0] &= 0x7f // leave room to step up within the millisecond
	}
	return encode(prefix, mono.ms, mono.random)
}

// monotonic is the last id New minted.
type monotonic struct {
	sync.Mutex
	ms     uint64
	random [10]byte
}

var mono monotonic

// next steps the random part up by 1 to 2^32; false if it would overflow.
func (m *monotonic) next() bool {
	var step [4]byte
	if _, err := rand.Read(step[:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error())
	}
	carry := uint64(binary.BigEndian.Uint32(step[:])) + 1
	for i := len(m.random) - 1; i >= 0 && carry > 0; i-- {
		sum := uint64(m.random[i]) + carry&0xff
		m.random[i] = byte(sum)
		carry = carry>>8 + sum>>8
	}
	return carry == 0
}

// NewAt is New with an explicit time, for imports that carry their own created_at.
func NewAt(prefix string, t time.Time) string {
	var random [10]byte
	if _, err := rand.Read(random[:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error())
	}
	return encode(prefix, uint64(t.UnixMilli()), random)
}

// encode writes 48 bits of milliseconds and 80 random bits in fixed-width
// base62.
func encode(prefix string, ms uint64, random [10]byte) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], ms<<16) // top 48 bits hold the milliseconds
	copy(b[6:], random[:])
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
