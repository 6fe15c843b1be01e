package bench

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// signing is the machine's bare RS256 rate: what the server could do if
// signing were all it did. On a shared or throttled machine (a VM) the rate
// drifts, so it is measured interleaved with the load of each scenario that
// signs (see runScenario).
type signing struct {
	perSecond float64
	cores     int
	elapsed   time.Duration
}

// signingInput is the size and shape of an access token's signing input
// (header.payload), so the hash costs what it costs in the server.
var signingInput = func() []byte {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"ins_0000000000000000000000","typ":"at+jwt"}`))
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"http://localhost:8080","sub":"user_0000000000000000000000",` +
		`"aud":["000000000000000000000000"],"exp":1700007200,"nbf":1700000000,"iat":1700000000,"jti":"at_0000000000000000000000",` +
		`"client_id":"000000000000000000000000","scope":"email offline_access openid profile","gid":"oag_0000000000000000000000"}`))
	return []byte(header + "." + payload)
}()

// signer measures signing with one 2048-bit RSA key (the server's key size).
type signer struct{ key *rsa.PrivateKey }

func newSigner() (*signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	key.Precompute()
	return &signer{key: key}, nil
}

// measure signs in one goroutine per core, in process, for d.
func (s *signer) measure(ctx context.Context, d time.Duration) signing {
	cores := runtime.GOMAXPROCS(0)
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				sum := sha256.Sum256(signingInput)
				if _, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, sum[:]); err != nil {
					panic("bench: sign: " + err.Error())
				}
				n++
			}
			count.Add(n)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return signing{perSecond: float64(count.Load()) / elapsed.Seconds(), cores: cores, elapsed: elapsed}
}

// meanSigning averages measurements interleaved with a scenario.
func meanSigning(runs ...signing) signing {
	var out signing
	for _, r := range runs {
		out.perSecond += r.perSecond / float64(len(runs))
		out.cores = r.cores
		out.elapsed += r.elapsed
	}
	return out
}
