package wallet_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/social/upstreamtest"
	"github.com/latchkey/latchkey/internal/social/wallet"
)

// Two background refreshers (two replicas) over one database refresh every
// token about to expire exactly once between them, before it expires; a
// revoked grant among them is marked as needing re-authorization; tokens
// not yet due are left alone; and the wallet then hands out the refreshed
// tokens without calling the upstream again.
func TestBackgroundRefresherTwoInstances(t *testing.T) {
	s := newStack(t, upstreamtest.Client{}) // upstream tokens live 1h
	subs := []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7"}
	accounts := map[string]connected{}
	for _, sub := range subs {
		accounts[sub] = s.connect(sub)
	}
	s.up.RevokeGrants("r7")
	// 58 minutes on: every token expires in 2 minutes, inside a 5-minute
	// window. One more account connected now is not due.
	s.env.Clock.Advance(58 * time.Minute)
	late := s.connect("late")

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		// Each replica builds its own wallet over the shared database.
		w := wallet.New(s.env.DB, s.box, providers{provider: s.cfg}, wallet.Settings{RefreshMargin: time.Minute}, s.env.Clock.Now)
		r := &wallet.Refresher{Wallet: w, Window: 5 * time.Minute, Interval: time.Second, Logger: quiet}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := r.RunOnce(context.Background())
			if err != nil {
				t.Errorf("refresher %d: %v", i, err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()

	st := s.up.Stats()
	if counts[0]+counts[1] != 6 || st.Refreshes != 6 || st.RefreshFailures != 1 {
		t.Fatalf("refreshers counted %v, upstream %+v: want 6 refreshes and 1 refusal in all", counts, st)
	}
	for _, sub := range subs[:6] {
		if st.RefreshesByAccount[sub] != 1 {
			t.Fatalf("account %s refreshed %d times, want 1 (%+v)", sub, st.RefreshesByAccount[sub], st)
		}
	}
	if st.RefreshesByAccount["late"] != 0 {
		t.Fatal("a token not due was refreshed")
	}

	// The wallet serves the refreshed tokens as they are (fresh for another
	// hour), valid at the upstream, with no further refresh.
	for _, sub := range subs[:6] {
		got := s.tokens(accounts[sub].userID)
		if len(got) != 1 || got[0].Token == accounts[sub].tok.AccessToken || !s.upstreamAccepts(got[0].Token) {
			t.Fatalf("%s: wallet %+v", sub, got)
		}
		if *got[0].ExpiresAt <= s.env.Clock.Now().Add(55*time.Minute).UnixMilli() {
			t.Fatalf("%s: expires_at %d not pushed about an hour ahead", sub, *got[0].ExpiresAt)
		}
	}
	if got := s.tokens(late.userID); got[0].Token != late.tok.AccessToken {
		t.Fatal("the account that was not due changed")
	}
	var needs bool
	if err := s.env.DB.Pool.QueryRow(context.Background(), `SELECT needs_reauthorization FROM external_accounts
		WHERE id = $1`, accounts["r7"].accountID).Scan(&needs); err != nil || !needs {
		t.Fatalf("revoked account: needs_reauthorization %v (%v)", needs, err)
	}
	if st := s.up.Stats(); st.Refreshes != 6 {
		t.Fatalf("the wallet refreshed again after the refresher: %+v", st)
	}

	// A second pass finds nothing due.
	w := wallet.New(s.env.DB, s.box, providers{provider: s.cfg}, wallet.Settings{}, s.env.Clock.Now)
	r := &wallet.Refresher{Wallet: w, Window: 5 * time.Minute, Interval: time.Second, Logger: quiet}
	if n, err := r.RunOnce(context.Background()); n != 0 || err != nil {
		t.Fatalf("second pass refreshed %d (%v)", n, err)
	}
}
