package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

// Replicas starting together must not apply a migration twice or fail: the
// goose session locker serialises them.
func TestConcurrentMigrationsApplyOnce(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmpty(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	applied := make([]int, 5)
	for i := range applied {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db, err := store.Open(ctx, url, 4)
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			m, err := store.NewMigrator(db)
			if err != nil {
				t.Error(err)
				return
			}
			defer m.Close()
			res, err := m.Up(ctx)
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
			applied[i] = len(res)
		}(i)
	}
	wg.Wait()
	total := 0
	for _, n := range applied {
		total += n
	}
	db, err := store.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, _ := store.NewMigrator(db)
	defer m.Close()
	statuses, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(statuses) {
		t.Fatalf("%d migrations applied across replicas, want each of %d exactly once", total, len(statuses))
	}
	for _, s := range statuses {
		if s.AppliedAt.IsZero() {
			t.Fatalf("migration %d not applied", s.Source.Version)
		}
	}
}
