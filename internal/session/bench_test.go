package session_test

// Benchmarks of the token hot path. Run them with
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/session/
//
// BenchmarkMintToken is the whole of MintToken on an active session (one
// indexed read from PostgreSQL and an RS256 signature); BenchmarkBareRS256
// signs an equivalent claims set with the same key and nothing else. Their
// ns/op ratio (bare / mint) is the share of the signing bound minting reaches.

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/session"
)

func BenchmarkMintToken(b *testing.B) {
	f := newFixture(b, session.Settings{MaxLifetime: 7 * 24 * time.Hour}) // no inactivity timeout: read-only
	ctx := context.Background()
	f.mint(b) // warm the pool and the statement cache
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.svc.MintToken(ctx, f.sess.ID, f.client.ID, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBareRS256(b *testing.B) {
	f := newFixture(b, session.Settings{MaxLifetime: 7 * 24 * time.Hour})
	signer := f.keyring.Signer()
	now := f.clock.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
				"iss": fixIssuer, "sub": f.userID, "sid": f.sess.ID,
				"iat": now.Unix(), "nbf": now.Unix() - 5, "exp": now.Unix() + 60,
				"v": 2, "fva": []int64{0, -1},
			})
			tok.Header["kid"] = signer.KID
			if _, err := tok.SignedString(signer.Key); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMintVsBareRS256 measures the ratio directly: it alternates short
// rounds of MintToken and of bare signing, each spread over GOMAXPROCS
// goroutines, so that whatever else the machine is doing weighs on both
// alike. One op is one token plus one bare signature; mint/rs256 is
// tokens/s over signatures/s.
func BenchmarkMintVsBareRS256(b *testing.B) {
	f := newFixture(b, session.Settings{MaxLifetime: 7 * 24 * time.Hour})
	ctx := context.Background()
	signer := f.keyring.Signer()
	now := f.clock.Now()
	mint := func() error {
		_, err := f.svc.MintToken(ctx, f.sess.ID, f.client.ID, "")
		return err
	}
	bare := func() error {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": fixIssuer, "sub": f.userID, "sid": f.sess.ID,
			"iat": now.Unix(), "nbf": now.Unix() - 5, "exp": now.Unix() + 60,
			"v": 2, "fva": []int64{0, -1},
		})
		tok.Header["kid"] = signer.KID
		_, err := tok.SignedString(signer.Key)
		return err
	}
	workers := runtime.GOMAXPROCS(0)
	round := func(n int, op func() error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					if err := op(); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	_ = mint()
	b.ResetTimer()
	var tMint, tBare time.Duration
	for done := 0; done < b.N; {
		n := min(16*workers, b.N-done)
		tMint += round(n, mint)
		tBare += round(n, bare)
		done += n
	}
	b.ReportMetric(float64(tMint.Nanoseconds())/float64(b.N), "mint-ns/op")
	b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "rs256-ns/op")
	b.ReportMetric(float64(tBare)/float64(tMint), "mint/rs256")
}
