package keys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/testdb"
)

func newBox(t *testing.T, seed byte) *keys.Box {
	t.Helper()
	b, err := keys.NewBox(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBoxRejectsTamperingAndMisuse(t *testing.T) {
	t.Parallel()
	box := newBox(t, 1)
	ct := box.Seal([]byte("private key"), []byte("signing_key:a"))
	if pt, err := box.Open(ct, []byte("signing_key:a")); err != nil || string(pt) != "private key" {
		t.Fatalf("round trip: %q %v", pt, err)
	}
	if _, err := box.Open(ct, []byte("signing_key:b")); err == nil {
		t.Fatal("ciphertext moved to another key id was accepted")
	}
	ct[len(ct)-1] ^= 1
	if _, err := box.Open(ct, []byte("signing_key:a")); err == nil {
		t.Fatal("tampered ciphertext was accepted")
	}
	if _, err := newBox(t, 2).Open(box.Seal([]byte("x"), nil), nil); err == nil {
		t.Fatal("another key decrypted the ciphertext")
	}
	if _, err := keys.NewBox([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}

func TestDevelopmentEncryptionKeyIsGeneratedOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, err := keys.EncryptionKey("", true, dir)
	if err != nil || len(k1) != 32 {
		t.Fatalf("generate: %v", err)
	}
	k2, err := keys.EncryptionKey("", true, dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("the development key changed between starts")
	}
	if _, err := keys.EncryptionKey("", false, dir); err == nil {
		t.Fatal("production started without an encryption key")
	}
}

func TestConcurrentBootstrapMakesOneSigningKey(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	box := newBox(t, 3)
	ctx := context.Background()
	var wg sync.WaitGroup
	rings := make([]*keys.Keyring, 4)
	for i := range rings {
		rings[i] = keys.NewKeyring(db, box, time.Now)
		wg.Add(1)
		go func(k *keys.Keyring) {
			defer wg.Done()
			if _, err := k.Bootstrap(ctx); err != nil {
				t.Error(err)
			}
		}(rings[i])
	}
	wg.Wait()
	kid := rings[0].Signer().KID
	for _, r := range rings {
		if r.Signer().KID != kid {
			t.Fatalf("replicas disagree on the signing key: %s vs %s", r.Signer().KID, kid)
		}
	}
	var jwks struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(rings[0].JWKS(), &jwks); err != nil || len(jwks.Keys) != 1 {
		t.Fatalf("jwks: %s %v", rings[0].JWKS(), err)
	}
	k := jwks.Keys[0]
	if k["kid"] != kid || k["alg"] != "RS256" || k["use"] != "sig" || k["kty"] != "RSA" || k["n"] == "" || k["e"] != "AQAB" {
		t.Fatalf("jwk members: %v", k)
	}
	if _, ok := rings[0].PublicKey(kid); !ok {
		t.Fatal("public key not found by kid")
	}
	// A keyring with the wrong encryption key cannot load the keys.
	if err := keys.NewKeyring(db, newBox(t, 4), time.Now).Reload(ctx); err == nil {
		t.Fatal("keys decrypted under the wrong encryption key")
	}
}

func TestSecretKeys(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	ctx := context.Background()
	sk := keys.NewSecretKeys(db, true, time.Now)
	first, created, err := sk.CreateFirst(ctx)
	if err != nil || !created || !strings.HasPrefix(first, "sk_test_") {
		t.Fatalf("first key: %q %v %v", first, created, err)
	}
	if again, created, _ := sk.CreateFirst(ctx); created || again != "" {
		t.Fatal("a second bootstrap key was minted")
	}
	second, err := sk.Create(ctx, "rotation")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{first, second} {
		if ok, err := sk.Verify(ctx, k); !ok || err != nil {
			t.Fatalf("valid key refused: %v", err)
		}
	}
	for _, k := range []string{"", "sk_test_", first + "x", strings.ToUpper(first), "pk_test_abc", strings.Repeat("s", 10000)} {
		if ok, _ := sk.Verify(ctx, k); ok {
			t.Fatalf("invalid key %q accepted", k)
		}
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM secret_keys WHERE position($1 in encode(key_hash, 'escape')) > 0`, first).Scan(&n); err != nil || n != 0 {
		t.Fatal("a secret key is stored in clear")
	}
	if live := keys.NewSecretKeys(db, false, time.Now); live != nil {
		k, _ := live.Create(ctx, "")
		if !strings.HasPrefix(k, "sk_live_") {
			t.Fatalf("production key %q", k)
		}
	}
}

func TestRotationPublishesFirstThenSignsThenRetires(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	ring := keys.NewKeyring(db, newBox(t, 5), clock)
	if _, err := ring.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	old := ring.Signer().KID
	newKID, err := ring.Rotate(ctx, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var set struct{ Keys []map[string]string }
		_ = json.Unmarshal(ring.JWKS(), &set)
		return len(set.Keys)
	}
	if ring.Signer().KID != old || count() != 2 {
		t.Fatalf("right after rotation the new key must be published (%d keys) but not yet sign (signer %s)", count(), ring.Signer().KID)
	}
	now = now.Add(keys.Propagation + time.Second)
	_ = ring.Reload(ctx)
	if ring.Signer().KID != newKID || count() != 2 {
		t.Fatalf("after propagation the new key signs and the old stays published: signer %s, %d keys", ring.Signer().KID, count())
	}
	now = now.Add(2*time.Hour + 6*time.Minute)
	_ = ring.Reload(ctx)
	if count() != 1 {
		t.Fatalf("the old key is still published after every token it signed expired (%d keys)", count())
	}
}
