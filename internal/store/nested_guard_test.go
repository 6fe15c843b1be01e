package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

// With the guard on, a pool statement from inside a transaction fails at
// once (instead of waiting for a connection that, under load, never comes)
// and is reported with its stack; the same statement outside, or the
// transaction's own statements, are untouched.
func TestNestedPoolUseGuard(t *testing.T) {
	_, url := testdb.New(t)
	var mu sync.Mutex
	var stacks []string
	db, err := store.Open(context.Background(), url, 2, store.WithNestedUseGuard(func(s string) {
		mu.Lock()
		stacks = append(stacks, s)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	if _, err := db.GetRestrictions(ctx); err != nil {
		t.Fatalf("outside a transaction: %v", err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.MatchRestrictions(ctx, []string{"a@example.com"}, nil); err != nil {
			t.Errorf("the transaction's own statement: %v", err)
		}
		_, err := db.GetRestrictions(ctx)
		return err
	})
	if !errors.Is(err, store.ErrNestedPoolUse) {
		t.Fatalf("pool statement inside a transaction: err = %v, want ErrNestedPoolUse", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stacks) != 1 || !strings.Contains(stacks[0], "TestNestedPoolUseGuard") {
		t.Fatalf("reports = %q", stacks)
	}
	if _, err := db.GetRestrictions(ctx); err != nil {
		t.Fatalf("after the transaction: %v", err)
	}
}
