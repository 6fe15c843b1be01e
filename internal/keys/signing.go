package keys

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// SigningStore is the storage the keyring needs.
type SigningStore interface {
	PublishedSigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error)
	EnsureSigningKey(ctx context.Context, k store.SigningKey) (bool, error)
	RotateSigningKey(ctx context.Context, k store.SigningKey, retireAt, publishedUntil time.Time) error
}

// Propagation is how long a new key is published before anyone signs with
// it. Every replica reloads its keys more often than this, so a verifier
// fetching any replica's JWKS already knows a key when tokens signed with
// it appear.
const Propagation = time.Minute

// ReloadInterval is how often replicas re-read the keys.
const ReloadInterval = 20 * time.Second

// Signer is the key new tokens are signed with.
type Signer struct {
	KID string
	Key *rsa.PrivateKey
}

// snapshot is an immutable view swapped atomically on reload, so the token
// hot path reads keys without locks or database round trips.
type snapshot struct {
	signer Signer
	jwks   []byte // precomputed JSON of the JWKS
	public map[string]*rsa.PublicKey
}

// Keyring holds the instance signing keys.
type Keyring struct {
	store SigningStore
	box   *Box
	now   func() time.Time
	cur   atomic.Pointer[snapshot]
}

// NewKeyring builds a keyring; call Bootstrap or Reload before use.
func NewKeyring(s SigningStore, box *Box, now func() time.Time) *Keyring {
	return &Keyring{store: s, box: box, now: now}
}

// Bootstrap creates the first RS256 key if the instance has none, then loads.
func (k *Keyring) Bootstrap(ctx context.Context) (created bool, err error) {
	rec, err := k.newKey()
	if err != nil {
		return false, err
	}
	created, err = k.store.EnsureSigningKey(ctx, rec)
	if err != nil {
		return false, fmt.Errorf("keys: bootstrap signing key: %w", err)
	}
	return created, k.Reload(ctx)
}

// Reload reads the published keys from the database.
func (k *Keyring) Reload(ctx context.Context) error {
	recs, err := k.store.PublishedSigningKeys(ctx, k.now())
	if err != nil {
		return fmt.Errorf("keys: load signing keys: %w", err)
	}
	now := k.now()
	snap := &snapshot{public: map[string]*rsa.PublicKey{}}
	var fallback Signer
	var jwks struct {
		Keys []json.RawMessage `json:"keys"`
	}
	jwks.Keys = []json.RawMessage{}
	for _, r := range recs {
		der, err := k.box.Open(r.PrivateKeyEnc, aadFor(r.KID))
		if err != nil {
			return fmt.Errorf("keys: signing key %s: %w", r.KID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("keys: signing key %s: %w", r.KID, err)
		}
		rsaKey, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("keys: signing key %s is not RSA", r.KID)
		}
		snap.public[r.KID] = &rsaKey.PublicKey
		jwks.Keys = append(jwks.Keys, r.PublicJWK)
		// The newest key that has been published for the propagation time
		// signs; a key whose retirement time has come no longer does.
		eligible := r.RetiredAt == nil || r.RetiredAt.After(now)
		if eligible && snap.signer.Key == nil && !r.CreatedAt.After(now.Add(-Propagation)) {
			snap.signer = Signer{KID: r.KID, Key: rsaKey}
		}
		if eligible {
			fallback = Signer{KID: r.KID, Key: rsaKey} // ends as the oldest eligible key
		}
	}
	if snap.signer.Key == nil {
		// No key is old enough yet (first start, or right after a rotation
		// when the previous key was young): the oldest still-valid key signs.
		snap.signer = fallback
	}
	if snap.signer.Key == nil {
		return errors.New("keys: no active signing key")
	}
	snap.jwks, err = json.Marshal(jwks)
	if err != nil {
		return err
	}
	k.cur.Store(snap)
	return nil
}

// Rotate publishes a new key now; it starts signing after Propagation, and
// the current key stays published for maxTokenTTL after that so every token
// it signed can still be verified.
func (k *Keyring) Rotate(ctx context.Context, maxTokenTTL time.Duration) (string, error) {
	rec, err := k.newKey()
	if err != nil {
		return "", err
	}
	retire := rec.CreatedAt.Add(Propagation)
	if err := k.store.RotateSigningKey(ctx, rec, retire, retire.Add(maxTokenTTL+5*time.Minute)); err != nil {
		return "", fmt.Errorf("keys: rotate: %w", err)
	}
	return rec.KID, k.Reload(ctx)
}

// Run reloads the keys periodically until ctx ends, so rotations made by
// any replica (or the CLI) reach this one.
func (k *Keyring) Run(ctx context.Context) error {
	t := time.NewTicker(ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_ = k.Reload(ctx) // keep the last good snapshot on a transient failure
		}
	}
}

// Signer returns the current signing key.
func (k *Keyring) Signer() Signer { return k.cur.Load().signer }

// JWKS returns the precomputed JSON Web Key Set.
func (k *Keyring) JWKS() []byte { return k.cur.Load().jwks }

// PublicKey returns the published key with kid, for verifying our own tokens.
func (k *Keyring) PublicKey(kid string) (*rsa.PublicKey, bool) {
	pk, ok := k.cur.Load().public[kid]
	return pk, ok
}

func (k *Keyring) newKey() (store.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return store.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, err
	}
	kid := ids.New(ids.SigningKey)
	jwk, err := json.Marshal(PublicJWK(kid, &priv.PublicKey))
	if err != nil {
		return store.SigningKey{}, err
	}
	return store.SigningKey{
		KID: kid, Alg: "RS256", PrivateKeyEnc: k.box.Seal(der, aadFor(kid)),
		PublicJWK: jwk, CreatedAt: k.now(),
	}, nil
}

// aadFor binds a private key's ciphertext to its kid.
func aadFor(kid string) []byte { return []byte("signing_key:" + kid) }

// JWK is a public RSA key in JWK form, with the members every key we publish carries.
type JWK struct {
	Use string `json:"use"`
	Kty string `json:"kty"`
	KID string `json:"kid"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// PublicJWK renders an RSA public key as a signing JWK.
func PublicJWK(kid string, pub *rsa.PublicKey) JWK {
	return JWK{
		Use: "sig", Kty: "RSA", KID: kid, Alg: "RS256",
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}
