package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

func pendingEmail(now time.Time, to string) store.OutboxEmail {
	return store.OutboxEmail{
		ID: ids.NewAt(ids.Email, now), To: to, Subject: "Your Acme verification code",
		TextBody: "code 123456", HTMLBody: "<p>123456</p>", Kind: "verification_code",
		Status: store.EmailPending, NextAttemptAt: now, CreatedAt: now,
	}
}

// Replicas claiming at the same moment take disjoint rows, and together take all.
func TestClaimDueEmailsConcurrently(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	ctx := context.Background()
	now := time.Now()
	const total = 100
	for i := range total {
		if err := db.EnqueueEmail(ctx, pendingEmail(now, fmt.Sprintf("u%d@example.com", i))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				batch, err := db.ClaimDueEmails(ctx, now, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(batch) == 0 {
					return
				}
				mu.Lock()
				for _, e := range batch {
					seen[e.ID]++
					if e.Attempts != 1 || !e.NextAttemptAt.Equal(now.Add(store.EmailLease).Truncate(time.Microsecond)) {
						t.Errorf("claimed %s with attempts=%d next=%v", e.ID, e.Attempts, e.NextAttemptAt)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("claimed %d distinct messages, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
}

// A claimed message whose sender vanished becomes due again when the lease ends.
func TestClaimedEmailReturnsAfterLease(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	ctx := context.Background()
	now := time.Now()
	e := pendingEmail(now, "ada@example.com")
	later := pendingEmail(now.Add(time.Hour), "later@example.com")
	later.NextAttemptAt = now.Add(time.Hour)
	for _, row := range []store.OutboxEmail{e, later} {
		if err := db.EnqueueEmail(ctx, row); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(at time.Time) []store.OutboxEmail {
		t.Helper()
		got, err := db.ClaimDueEmails(ctx, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := claim(now); len(got) != 1 || got[0].ID != e.ID || got[0].Attempts != 1 {
		t.Fatalf("first claim = %+v, want only %s with attempts 1", got, e.ID)
	}
	if got := claim(now.Add(store.EmailLease - time.Second)); len(got) != 0 {
		t.Fatalf("claimed %d messages during the lease", len(got))
	}
	if got := claim(now.Add(store.EmailLease)); len(got) != 1 || got[0].ID != e.ID || got[0].Attempts != 2 {
		t.Fatalf("claim after the lease = %+v, want %s again with attempts 2", got, e.ID)
	}
}

func TestEmailStatusChangesAndPurge(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	ctx := context.Background()
	now := time.Now()
	sent, failed, pending := pendingEmail(now, "a@example.com"), pendingEmail(now, "b@example.com"), pendingEmail(now, "c@example.com")
	for _, row := range []store.OutboxEmail{sent, failed, pending} {
		if err := db.EnqueueEmail(ctx, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MarkEmailSent(ctx, sent.ID, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkEmailFailed(ctx, failed.ID, "550 no such user", now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkEmailRetry(ctx, pending.ID, now.Add(time.Minute), "451 later"); err != nil {
		t.Fatal(err)
	}
	// Final statuses are final.
	if err := db.MarkEmailRetry(ctx, sent.ID, now, "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retry of a sent message: %v, want ErrNotFound", err)
	}
	if err := db.MarkEmailSent(ctx, failed.ID, now, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("sent after failed: %v, want ErrNotFound", err)
	}

	recent, err := db.RecentEmails(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]store.OutboxEmail{}
	for _, e := range recent {
		status[e.ID] = e
	}
	if s := status[sent.ID]; s.Status != store.EmailSent || s.SentAt == nil {
		t.Errorf("sent row = %+v", s)
	}
	if s := status[failed.ID]; s.Status != store.EmailFailed || s.LastError == nil || *s.LastError != "550 no such user" {
		t.Errorf("failed row = %+v", s)
	}
	if s := status[pending.ID]; s.Status != store.EmailPending || s.LastError == nil {
		t.Errorf("pending row = %+v", s)
	}

	n, err := db.PurgeEmails(ctx, now.Add(90*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("first purge deleted %d (%v), want the sent row only", n, err)
	}
	n, err = db.PurgeEmails(ctx, now.Add(48*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("second purge deleted %d (%v), want the failed row only", n, err)
	}
	if recent, _ := db.RecentEmails(ctx, 10); len(recent) != 1 || recent[0].ID != pending.ID {
		t.Fatalf("left after purges: %+v, want the pending row", recent)
	}
}
