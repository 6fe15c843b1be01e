package upstreamtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
)

// signingJWK is the RSA private key, as a JWK, that every provider of this
// test binary signs with. It is made here once rather than by each Node
// process: that is quicker, and Node 20 can deadlock generating and
// exporting a key at start-up.
func signingJWK(t testing.TB) string {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			keyErr = err
			return
		}
		k.Precompute()
		b64 := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.Bytes()) }
		raw, err := json.Marshal(map[string]string{
			"kty": "RSA", "n": b64(k.N), "e": b64(big.NewInt(int64(k.E))), "d": b64(k.D),
			"p": b64(k.Primes[0]), "q": b64(k.Primes[1]),
			"dp": b64(k.Precomputed.Dp), "dq": b64(k.Precomputed.Dq), "qi": b64(k.Precomputed.Qinv),
		})
		keyJWK, keyErr = string(raw), err
	})
	if keyErr != nil {
		t.Fatalf("upstreamtest: signing key: %v", keyErr)
	}
	return keyJWK
}

var (
	keyOnce sync.Once
	keyJWK  string
	keyErr  error
)
