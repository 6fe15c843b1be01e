package password

import (
	"context"
	"crypto/rand"
	"runtime"
	"sync"
	"sync/atomic"
)

// Hasher runs slow hashes in a bounded pool so a burst of sign-ins cannot starve the server.
type Hasher struct {
	slots    chan struct{}
	inFlight atomic.Int64
	waiting  atomic.Int64
	// enter, when set (by tests), runs at the start of each piece of work
	// inside the pool; the function it returns runs when the work is done.
	enter func() (exit func())
}

// Stats is a snapshot of a Hasher's pool, e.g. for a metrics gauge.
type Stats struct {
	InFlight int // hashes running now
	Waiting  int // calls queued for a slot
}

// NewHasher returns a Hasher running at most concurrency hashes at once;
// concurrency <= 0 means runtime.GOMAXPROCS(0).
func NewHasher(concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Hasher{slots: make(chan struct{}, concurrency)}
}

// Stats reports the pool's current load.
func (h *Hasher) Stats() Stats {
	return Stats{InFlight: int(h.inFlight.Load()), Waiting: int(h.waiting.Load())}
}

// run waits for a slot, or for ctx to end, then runs work in it.
func (h *Hasher) run(ctx context.Context, work func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.waiting.Add(1)
	select {
	case h.slots <- struct{}{}:
		h.waiting.Add(-1)
	case <-ctx.Done():
		h.waiting.Add(-1)
		return ctx.Err()
	}
	defer func() { <-h.slots }()
	h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	if h.enter != nil {
		defer h.enter()()
	}
	work()
	return nil
}

// Hash returns an argon2id PHC digest of plain (hasher DefaultHasher). It
// returns ErrTooLong for a password over MaxLength bytes and ctx.Err() if
// ctx ends while waiting for the pool. It does not apply the rest of the
// policy: call Check first for new passwords.
func (h *Hasher) Hash(ctx context.Context, plain string) (digest string, err error) {
	if len(plain) > MaxLength {
		return "", ErrTooLong
	}
	err = h.run(ctx, func() { digest = newArgon2id(plain).String() })
	return digest, err
}

// Verify checks plain against digest made by hasher ("argon2id" for our own, or any import name).
// ok=false,err=nil for a wrong password. rehash=true when ok and the digest is not current argon2id params, so the caller stores Hash(plain).
//
// err wraps ErrUnsupportedHasher or ErrInvalidDigest for a digest that
// cannot be checked, or is ctx.Err() if ctx ends while waiting for the pool.
// A password over MaxLength bytes is never hashed and never matches.
func (h *Hasher) Verify(ctx context.Context, hasher, digest, plain string) (ok, rehash bool, err error) {
	d, err := parseDigest(hasher, digest)
	if err != nil {
		return false, false, err
	}
	if len(plain) > MaxLength {
		return false, false, nil
	}
	var verr error
	if err := h.run(ctx, func() { ok, verr = d.verify(plain) }); err != nil {
		return false, false, err
	}
	if verr != nil || !ok {
		return false, false, verr
	}
	return true, !d.current(), nil
}

// VerifyDummy spends the same time as a real argon2id verification, for unknown users, so timing reveals nothing.
// Like Verify it waits in the pool, gives up when ctx ends, and returns
// at once for a password over MaxLength bytes.
func (h *Hasher) VerifyDummy(ctx context.Context, plain string) {
	if len(plain) > MaxLength {
		return
	}
	_ = h.run(ctx, func() { _, _ = dummyDigest().verify(plain) })
}

// dummyDigest has the current parameters and a random salt and hash that no
// password is expected to match. (Built without hashing, so the first
// VerifyDummy costs no more than the others.)
var dummyDigest = sync.OnceValue(func() *argon2Digest {
	d := &argon2Digest{
		variant: DefaultHasher,
		memory:  argon2Memory,
		time:    argon2Time,
		threads: argon2Threads,
		salt:    make([]byte, argon2SaltLen),
		key:     make([]byte, argon2KeyLen),
	}
	rand.Read(d.salt)
	rand.Read(d.key)
	return d
})
