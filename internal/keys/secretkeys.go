package keys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// SecretKeyStore is the storage secret keys need.
type SecretKeyStore interface {
	InsertSecretKey(ctx context.Context, k store.SecretKey) error
	InsertFirstSecretKey(ctx context.Context, k store.SecretKey) (bool, error)
	ActiveSecretKeyByHash(ctx context.Context, hash []byte) (store.SecretKey, error)
}

// SecretKeys mints and checks Backend API keys. Keys carry 256 bits of
// randomness, so a fast SHA-256 at rest is as strong as a slow hash and keeps
// every Backend API request cheap.
type SecretKeys struct {
	store  SecretKeyStore
	prefix string // sk_test_ in development, sk_live_ in production
	now    func() time.Time
}

// NewSecretKeys builds the secret-key service.
func NewSecretKeys(s SecretKeyStore, development bool, now func() time.Time) *SecretKeys {
	p := "sk_live_"
	if development {
		p = "sk_test_"
	}
	return &SecretKeys{store: s, prefix: p, now: now}
}

// Create mints a new key; the plaintext is returned once and never stored.
func (s *SecretKeys) Create(ctx context.Context, name string) (string, error) {
	plain, rec := s.mint(name)
	return plain, s.store.InsertSecretKey(ctx, rec)
}

// CreateFirst mints a key only if the instance has none; ok is false when
// one already existed (its plaintext is not recoverable).
func (s *SecretKeys) CreateFirst(ctx context.Context) (plain string, ok bool, err error) {
	plain, rec := s.mint("bootstrap")
	ok, err = s.store.InsertFirstSecretKey(ctx, rec)
	if !ok {
		plain = ""
	}
	return plain, ok, err
}

// Verify reports whether presented is an active key. The lookup is by hash,
// so the comparison never touches the secret byte by byte.
func (s *SecretKeys) Verify(ctx context.Context, presented string) (bool, error) {
	if !strings.HasPrefix(presented, "sk_") || len(presented) > 128 {
		return false, nil
	}
	_, err := s.store.ActiveSecretKeyByHash(ctx, hashKey(presented))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *SecretKeys) mint(name string) (string, store.SecretKey) {
	plain := s.prefix + randomBase62(43)
	return plain, store.SecretKey{
		ID: ids.New(ids.SecretKey), KeyHash: hashKey(plain), Hint: plain[len(plain)-4:],
		Name: name, CreatedAt: s.now(),
	}
}

func hashKey(k string) []byte {
	h := sha256.Sum256([]byte(k))
	return h[:]
}

// randomBase62 returns n uniformly random base62 characters (43 ≈ 256 bits).
func randomBase62(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range out {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("keys: crypto/rand failed: " + err.Error())
		}
		out[i] = alphabet[v.Int64()]
	}
	return string(out)
}
