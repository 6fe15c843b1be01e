package store

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
)

// A statement sent through the pool by code that is running inside one of
// the pool's transactions needs a second connection while the first is held.
// Under load every connection can end up held by a transaction waiting for a
// row lock whose holder is itself waiting for a connection, and the server
// stalls until requests time out (CI saw exactly this with ten concurrent
// opens of one email link). The guard makes that mistake fail at once in
// tests: it remembers which goroutines are inside a transaction and refuses
// them a pool connection. Finding the goroutine costs a stack read per
// acquire, which is why it is for tests only.

// ErrNestedPoolUse is returned for a pool statement issued inside a
// transaction while the guard is on.
var ErrNestedPoolUse = errors.New("store: pool statement issued inside a transaction; use the transaction")

// Option adjusts how Open sets up the pool.
type Option func(*options)

type options struct {
	guard *nestedGuard
}

// WithNestedUseGuard turns on the guard; report receives the stack of each
// offending call (tests fail on it).
func WithNestedUseGuard(report func(stack string)) Option {
	return func(o *options) { o.guard = &nestedGuard{inTx: map[uint64]int{}, report: report} }
}

type nestedGuard struct {
	mu     sync.Mutex
	inTx   map[uint64]int // goroutine id -> open transactions
	report func(stack string)
}

func (g *nestedGuard) enter() uint64 {
	id := goroutineID()
	g.mu.Lock()
	g.inTx[id]++
	g.mu.Unlock()
	return id
}

func (g *nestedGuard) leave(id uint64) {
	g.mu.Lock()
	if g.inTx[id]--; g.inTx[id] <= 0 {
		delete(g.inTx, id)
	}
	g.mu.Unlock()
}

// prepareConn is the pool's PrepareConn hook.
func (g *nestedGuard) prepareConn(context.Context, *pgx.Conn) (bool, error) {
	id := goroutineID()
	g.mu.Lock()
	nested := g.inTx[id] > 0
	g.mu.Unlock()
	if !nested {
		return true, nil
	}
	buf := make([]byte, 16<<10)
	g.report(string(buf[:runtime.Stack(buf, false)]))
	return true, ErrNestedPoolUse
}

// goroutineID reads the current goroutine's id from its stack header
// ("goroutine 42 [running]:"). Go offers no other way; tests only.
func goroutineID() uint64 {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
