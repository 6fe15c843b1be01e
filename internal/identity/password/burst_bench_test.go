package password_test

// A burst of password sign-ins against the hashing pool, with session tokens
// minted alongside in the same process. Run it with
//
//	go test -run '^$' -bench PasswordBurst -benchtime 3s ./internal/identity/password/
//
// (add -cpu 2,3 to compare GOMAXPROCS = NumCPU with one spare P)
//
// It reports how close the burst comes to the hashing bound (NumCPU hashes
// in parallel, each taking the single-hash time measured on an idle pool)
// and the token-minting latency while idle and during the burst.

import (
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

// burstMinter is a session service with one active session to mint for.
type burstMinter struct {
	svc      *session.Service
	sid, cid string
}

func newBurstMinter(b *testing.B) *burstMinter {
	b.Helper()
	ctx := context.Background()
	db, _ := testdb.New(b)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*5 + 7)
	}
	box, err := keys.NewBox(key)
	if err != nil {
		b.Fatal(err)
	}
	kr := keys.NewKeyring(db, box, time.Now)
	if _, err := kr.Bootstrap(ctx); err != nil {
		b.Fatal(err)
	}
	svc := session.NewService(db, kr, session.Settings{Issuer: "https://auth.example.com", MaxLifetime: 24 * time.Hour}, time.Now)
	now := time.Now()
	u := store.User{ID: ids.New(ids.User), PublicMetadata: json.RawMessage(`{}`), PrivateMetadata: json.RawMessage(`{}`),
		UnsafeMetadata: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	_, c, err := svc.NewClient(ctx)
	if err != nil {
		b.Fatal(err)
	}
	s := svc.NewSession(c.ID, u.ID, "password")
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertSession(s) }); err != nil {
		b.Fatal(err)
	}
	return &burstMinter{svc: svc, sid: s.ID, cid: c.ID}
}

// mint mints one token and returns how long it took.
func (m *burstMinter) mint(b *testing.B) time.Duration {
	start := time.Now()
	if _, err := m.svc.MintToken(context.Background(), m.sid, m.cid, ""); err != nil {
		b.Error(err)
	}
	return time.Since(start)
}

// paced mints every interval until stop closes, returning the latencies.
func (m *burstMinter) paced(b *testing.B, interval time.Duration, stop <-chan struct{}) []time.Duration {
	var out []time.Duration
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return out
		case <-tick.C:
			out = append(out, m.mint(b))
		}
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// usage is the process's CPU time and minor page faults so far; it tells a
// burst that did not get the cores (another process ran) from one that got
// them and spent them on something other than hashing.
func usage(b *testing.B) (cpu time.Duration, faults int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt
}

// BenchmarkPasswordBurst: one op is one password verification (a
// sign-in's Hasher.Verify), issued by 8 × NumCPU concurrent callers. The
// hash-only run is the pool alone; the minting runs add token minting in the
// same process, at 25 tokens/s (a latency probe) and at 100 tokens/s (steady
// refresh traffic of a few thousand open browsers: each asks for a 60 s
// token about every 50 s), and report its latency while idle (measured
// before the burst, at the same pace) and during the burst. Minting is not
// free: 100 RS256 signatures a second take about 5% of two cores, which the
// hashing bound does not discount.
func BenchmarkPasswordBurst(b *testing.B) {
	ctx := context.Background()
	// One slot per core, as the server configures it by default. (The pool
	// is sized by NumCPU rather than GOMAXPROCS so that running with -cpu
	// changes only the Go scheduler's room, not the hashing bound.)
	cores := runtime.NumCPU()
	h := password.NewHasher(cores)
	const pw = "correct horse battery staple 42"
	digest, err := h.Hash(ctx, pw)
	if err != nil {
		b.Fatal(err)
	}
	m := newBurstMinter(b)

	// Single-hash time on an idle pool: the best of ten, serially.
	single := time.Duration(1<<63 - 1)
	for i := 0; i < 10; i++ {
		start := time.Now()
		if ok, _, err := h.Verify(ctx, password.DefaultHasher, digest, pw); !ok || err != nil {
			b.Fatalf("verify: %v %v", ok, err)
		}
		single = min(single, time.Since(start))
	}
	bound := float64(cores) / single.Seconds() // verifications per second

	// Minting latency with nothing else running, paced like during the burst.
	m.mint(b)
	idleLatency := func(interval time.Duration) []time.Duration {
		stop := make(chan struct{})
		done := make(chan []time.Duration)
		go func() { done <- m.paced(b, interval, stop) }()
		time.Sleep(200 * interval)
		close(stop)
		return <-done
	}
	idle := map[time.Duration][]time.Duration{}

	run := func(b *testing.B, interval time.Duration) {
		var during []time.Duration
		stop := make(chan struct{})
		burstDone := make(chan []time.Duration, 1)
		if interval > 0 {
			if idle[interval] == nil {
				idle[interval] = idleLatency(interval)
			}
			go func() { burstDone <- m.paced(b, interval, stop) }()
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		cpu0, flt0 := usage(b)
		start := time.Now()
		for w := 0; w < 8*cores; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					if ok, _, err := h.Verify(ctx, password.DefaultHasher, digest, pw); !ok || err != nil {
						b.Errorf("verify: %v %v", ok, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		cpu1, flt1 := usage(b)
		b.StopTimer()
		close(stop)
		if interval > 0 {
			during = <-burstDone
		}

		rate := float64(b.N) / elapsed.Seconds()
		b.ReportMetric(single.Seconds()*1e3, "single-hash-ms")
		b.ReportMetric(bound, "bound-verifies/s")
		b.ReportMetric(rate, "verifies/s")
		b.ReportMetric(rate/bound, "of-bound")
		// Share of the machine's cores this process had during the burst (well
		// under 1: another process took CPU and the figures are not the
		// pool's), and minor page faults per verification.
		b.ReportMetric((cpu1-cpu0).Seconds()/(elapsed.Seconds()*float64(cores)), "cpu-share")
		b.ReportMetric(float64(flt1-flt0)/float64(b.N), "faults/verify")
		if interval > 0 {
			b.ReportMetric(us(percentile(idle[interval], 0.5)), "mint-idle-p50-µs")
			b.ReportMetric(us(percentile(idle[interval], 0.99)), "mint-idle-p99-µs")
			b.ReportMetric(us(percentile(during, 0.5)), "mint-burst-p50-µs")
			b.ReportMetric(us(percentile(during, 0.99)), "mint-burst-p99-µs")
			b.ReportMetric(float64(len(during)), "mints-in-burst")
		}
	}
	b.Run("hash-only", func(b *testing.B) { run(b, 0) })
	b.Run("minting-25ps", func(b *testing.B) { run(b, 40*time.Millisecond) })
	b.Run("minting-100ps", func(b *testing.B) { run(b, 10*time.Millisecond) })
}
