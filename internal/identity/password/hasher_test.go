package password

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// eventually polls cond until it holds, or reports false after a generous
// deadline. It only waits for a state; it measures nothing.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// waitFor is eventually for the test's own goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !eventually(cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// workCounter counts the hashing work running inside a Hasher's pool, through
// its enter hook, independently of the Hasher's own Stats.
type workCounter struct {
	started atomic.Int64 // pieces of work that have entered the pool
	running atomic.Int64 // of which not finished
	peak    atomic.Int64 // highest running seen
	block   chan struct{}
	blockN  int64 // the first blockN pieces wait for block to close
}

func (c *workCounter) install(h *Hasher) {
	h.enter = func() (exit func()) {
		n := c.started.Add(1)
		r := c.running.Add(1)
		for {
			p := c.peak.Load()
			if r <= p || c.peak.CompareAndSwap(p, r) {
				break
			}
		}
		if n <= c.blockN {
			<-c.block
		}
		return func() { c.running.Add(-1) }
	}
}

func TestNewHasherConcurrency(t *testing.T) {
	if got := cap(NewHasher(3).slots); got != 3 {
		t.Errorf("NewHasher(3) has %d slots", got)
	}
	for _, n := range []int{0, -1} {
		if got := cap(NewHasher(n).slots); got != runtime.GOMAXPROCS(0) {
			t.Errorf("NewHasher(%d) has %d slots, want GOMAXPROCS %d", n, got, runtime.GOMAXPROCS(0))
		}
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(0)
	const pw = "Tr0ub4dor&3-but-longer"
	digest, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !phcCurrent.MatchString(digest) {
		t.Fatalf("Hash returned %q", digest)
	}
	if ok, rehash, err := h.Verify(ctx, DefaultHasher, digest, pw); !ok || rehash || err != nil {
		t.Errorf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	for _, wrong := range []string{"", "tr0ub4dor&3-but-longer", pw + " ", pw[:len(pw)-1]} {
		if ok, rehash, err := h.Verify(ctx, DefaultHasher, digest, wrong); ok || rehash || err != nil {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, nil", wrong, ok, rehash, err)
		}
	}
	// A digest of ours presented under another hasher name is malformed.
	if _, _, err := h.Verify(ctx, "argon2i", digest, pw); !errors.Is(err, ErrInvalidDigest) {
		t.Errorf("Verify as argon2i: err = %v, want ErrInvalidDigest", err)
	}
}

func TestVerifyRehash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(0)
	const pw = "an older password"
	old := argon2idPHC(pw, 4096, 3, 1, []byte("0123456789abcdef"), 32)
	if ok, rehash, err := h.Verify(ctx, "argon2id", old, pw); !ok || !rehash || err != nil {
		t.Errorf("old params: Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	if ok, rehash, err := h.Verify(ctx, "argon2id", old, pw+"?"); ok || rehash || err != nil {
		t.Errorf("old params, wrong password: Verify = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
	// Every imported hasher asks for a rehash once the password is known.
	for _, tc := range importKnownAnswers {
		ok, rehash, err := h.Verify(ctx, tc.hasher, tc.digest, tc.password)
		if !ok || !rehash || err != nil {
			t.Errorf("%s %s: Verify = %v, %v, %v; want true, true, nil", tc.hasher, tc.digest, ok, rehash, err)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(1)
	if _, _, err := h.Verify(ctx, "crypt", "abc", "pw"); !errors.Is(err, ErrUnsupportedHasher) {
		t.Errorf("unknown hasher: err = %v", err)
	}
	if _, _, err := h.Verify(ctx, "bcrypt", "$2b$05$short", "pw"); !errors.Is(err, ErrInvalidDigest) {
		t.Errorf("malformed digest: err = %v", err)
	}
}

func TestTooLongNeverHashed(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(1)
	var c workCounter
	c.install(h)
	huge := strings.Repeat("a", 1<<20)
	if _, err := h.Hash(ctx, huge); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash(1 MiB) err = %v, want ErrTooLong", err)
	}
	if _, err := h.Hash(ctx, huge[:MaxLength+1]); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash(MaxLength+1) err = %v, want ErrTooLong", err)
	}
	ok, rehash, err := h.Verify(ctx, DefaultHasher, newArgon2id("x").String(), huge)
	if ok || rehash || err != nil {
		t.Errorf("Verify(1 MiB) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
	h.VerifyDummy(ctx, huge)
	if n := c.started.Load(); n != 0 {
		t.Errorf("%d hashes ran for too-long passwords", n)
	}
	if _, err := h.Hash(ctx, huge[:MaxLength]); err != nil {
		t.Errorf("Hash(MaxLength bytes) err = %v", err)
	}
}

func TestVerifyDummy(t *testing.T) {
	h := NewHasher(1)
	var c workCounter
	c.install(h)
	h.VerifyDummy(context.Background(), "whatever")
	if n := c.started.Load(); n != 1 {
		t.Errorf("VerifyDummy ran %d hashes in the pool, want 1", n)
	}
	if !dummyDigest().current() {
		t.Error("dummy digest does not use the current parameters")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.VerifyDummy(ctx, "whatever")
	if n := c.started.Load(); n != 1 {
		t.Errorf("VerifyDummy with a cancelled context hashed anyway")
	}
}

// TestPoolBound: with concurrency 1, a second Hash waits until the first is
// done — the two never run at once.
func TestPoolBound(t *testing.T) {
	h := NewHasher(1)
	c := workCounter{block: make(chan struct{}), blockN: 1}
	c.install(h)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "concurrent password"); err != nil {
				t.Error(err)
			}
		})
	}
	// The first Hash is held inside the pool until the second is queued.
	waitFor(t, "one hash running and one queued", func() bool {
		s := h.Stats()
		return c.running.Load() == 1 && s.InFlight == 1 && s.Waiting == 1
	})
	if n := c.started.Load(); n != 1 {
		t.Fatalf("%d hashes entered a pool of 1", n)
	}
	close(c.block)
	wg.Wait()
	if c.started.Load() != 2 || c.peak.Load() != 1 {
		t.Errorf("started %d, peak running %d; want 2 and 1", c.started.Load(), c.peak.Load())
	}
	if s := h.Stats(); s != (Stats{}) {
		t.Errorf("Stats after all done = %+v", s)
	}
}

// TestPoolAllowsConcurrency: with concurrency 2, two hashes do run at once
// (each waits inside the pool until the other has entered it).
func TestPoolAllowsConcurrency(t *testing.T) {
	h := NewHasher(2)
	var c workCounter
	c.install(h)
	inner := h.enter
	h.enter = func() func() {
		exit := inner()
		if !eventually(func() bool { return c.running.Load() == 2 }) {
			t.Error("timed out waiting for both hashes inside the pool")
		}
		return exit
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "parallel password"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := c.peak.Load(); p != 2 {
		t.Errorf("peak running %d, want 2", p)
	}
}

// TestCancelWhileQueued: a call waiting for a slot returns ctx.Err() when
// its context ends, without hashing.
func TestCancelWhileQueued(t *testing.T) {
	h := NewHasher(1)
	c := workCounter{block: make(chan struct{}), blockN: 1}
	c.install(h)
	first := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "holds the only slot")
		first <- err
	}()
	waitFor(t, "the first hash to run", func() bool { return c.running.Load() == 1 })

	digest := newArgon2id("queued").String()
	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 3)
	go func() {
		_, err := h.Hash(ctx, "queued")
		queued <- err
	}()
	go func() {
		_, _, err := h.Verify(ctx, DefaultHasher, digest, "queued")
		queued <- err
	}()
	go func() {
		h.VerifyDummy(ctx, "queued")
		queued <- context.Canceled
	}()
	waitFor(t, "three calls queued", func() bool { return h.Stats().Waiting == 3 })
	cancel()
	for range 3 {
		if err := <-queued; !errors.Is(err, context.Canceled) {
			t.Errorf("queued call returned %v, want context.Canceled", err)
		}
	}
	if s := h.Stats(); s.Waiting != 0 || s.InFlight != 1 {
		t.Errorf("Stats after cancel = %+v", s)
	}
	close(c.block)
	if err := <-first; err != nil {
		t.Errorf("first Hash: %v", err)
	}
	if n := c.started.Load(); n != 1 {
		t.Errorf("%d hashes ran; the cancelled ones should not have", n)
	}

	// Already cancelled: returns at once even with a free slot.
	if _, err := h.Hash(ctx, "late"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with cancelled ctx: err = %v", err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	if _, _, err := h.Verify(dctx, DefaultHasher, digest, "queued"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify with expired ctx: err = %v", err)
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "benchmark password"); err != nil {
			b.Fatal(err)
		}
	}
}
