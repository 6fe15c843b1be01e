package session_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// writeWatch counts the writes a test's database has seen, from
// pg_stat_statements (every UPDATE statement and the rows it changed) and
// from the session row's version (xmin), which any UPDATE of it replaces.
type writeWatch struct {
	t          *testing.T
	f          *fixture
	pgss       bool
	calls      int64
	rows       int64
	xmin       string
	lastActive time.Time
}

func newWriteWatch(t *testing.T, f *fixture) *writeWatch {
	t.Helper()
	w := &writeWatch{t: t, f: f}
	// pg_stat_statements must be preloaded by the server; where it is not
	// (or the role may not create the extension), the row version alone is
	// the evidence.
	if _, err := f.db.Pool.Exec(context.Background(), `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err == nil {
		if _, _, err := w.stats(); err == nil {
			w.pgss = true
		}
	}
	if !w.pgss {
		t.Log("pg_stat_statements unavailable: counting row versions only")
	}
	w.reset()
	return w
}

func (w *writeWatch) stats() (calls, rows int64, err error) {
	err = w.f.db.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(rows), 0)::bigint
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND query ILIKE 'update%'`).Scan(&calls, &rows)
	return calls, rows, err
}

func (w *writeWatch) row() (xmin string, lastActive time.Time) {
	w.t.Helper()
	if err := w.f.db.Pool.QueryRow(context.Background(), `SELECT xmin::text, last_active_at FROM sessions WHERE id = $1`,
		w.f.sess.ID).Scan(&xmin, &lastActive); err != nil {
		w.t.Fatal(err)
	}
	return xmin, lastActive
}

// reset makes the current counts the baseline.
func (w *writeWatch) reset() {
	w.t.Helper()
	if w.pgss {
		var err error
		if w.calls, w.rows, err = w.stats(); err != nil {
			w.t.Fatal(err)
		}
	}
	w.xmin, w.lastActive = w.row()
}

// delta reports UPDATE statements and changed rows since the baseline (-1
// when pg_stat_statements is unavailable) and whether the session row changed.
func (w *writeWatch) delta() (calls, rows int64, rowChanged bool) {
	w.t.Helper()
	calls, rows = -1, -1
	if w.pgss {
		c, r, err := w.stats()
		if err != nil {
			w.t.Fatal(err)
		}
		calls, rows = c-w.calls, r-w.rows
	}
	xmin, _ := w.row()
	return calls, rows, xmin != w.xmin
}

func (f *fixture) mint(t testing.TB) string {
	t.Helper()
	tok, err := f.svc.MintToken(context.Background(), f.sess.ID, f.client.ID, "")
	if err != nil {
		t.Fatalf("MintToken: %v", err)
	}
	return tok
}

func TestMintTokenDoesNotWrite(t *testing.T) {
	t.Run("inactivity off", func(t *testing.T) {
		f := newFixture(t, session.Settings{MaxLifetime: 7 * 24 * time.Hour})
		w := newWriteWatch(t, f)
		for i := 0; i < 300; i++ { // five hours of a token a minute
			f.clock.Advance(time.Minute)
			f.mint(t)
		}
		calls, rows, changed := w.delta()
		if calls > 0 || rows > 0 || changed {
			t.Fatalf("300 mints wrote: %d UPDATE statements, %d rows, row changed %v", calls, rows, changed)
		}
		if _, la := w.row(); !la.Equal(f.sess.LastActiveAt) {
			t.Fatalf("last_active_at moved from %v to %v", f.sess.LastActiveAt, la)
		}
	})

	t.Run("inactivity on, serial", func(t *testing.T) {
		f := newFixture(t, session.Settings{InactivityTimeout: 30 * time.Minute}) // granularity 60 s
		const granularity = time.Minute
		w := newWriteWatch(t, f)
		start := f.clock.Now()
		var writes []time.Time // when the row changed
		prevXmin, _ := w.row()
		for i := 0; i < 1200; i++ { // a token every second for 20 minutes
			f.clock.Advance(time.Second)
			f.mint(t)
			if xmin, la := w.row(); xmin != prevXmin {
				writes = append(writes, f.clock.Now())
				prevXmin = xmin
				if !la.Equal(f.clock.Now()) {
					t.Fatalf("last_active_at = %v, want the mint time %v", la, f.clock.Now())
				}
			}
		}
		elapsed := f.clock.Now().Sub(start)
		maxWrites := int(elapsed/granularity) + 1
		if len(writes) == 0 || len(writes) > maxWrites {
			t.Fatalf("%d row writes in %v, want 1..%d", len(writes), elapsed, maxWrites)
		}
		for i := 1; i < len(writes); i++ {
			if gap := writes[i].Sub(writes[i-1]); gap < granularity {
				t.Fatalf("writes %v apart, want at least %v", gap, granularity)
			}
		}
		calls, rows, _ := w.delta()
		if w.pgss && (calls != int64(len(writes)) || rows != int64(len(writes))) {
			t.Fatalf("pg_stat_statements: %d UPDATE statements changing %d rows, want %d of each", calls, rows, len(writes))
		}
		t.Logf("1200 mints over %v: %d UPDATEs (pg_stat_statements calls %d, rows %d)", elapsed, len(writes), calls, rows)
	})

	t.Run("inactivity on, concurrent bursts", func(t *testing.T) {
		f := newFixture(t, session.Settings{InactivityTimeout: 30 * time.Minute})
		w := newWriteWatch(t, f)
		const windows, workers, each = 5, 8, 25
		for win := 0; win < windows; win++ {
			f.clock.Advance(61 * time.Second) // a new window: exactly one write is due
			var wg sync.WaitGroup
			for g := 0; g < workers; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						if _, err := f.svc.MintToken(context.Background(), f.sess.ID, f.client.ID, ""); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		}
		calls, rows, changed := w.delta()
		if !changed {
			t.Fatal("the session row was never written")
		}
		if w.pgss && (rows < 1 || rows > windows) {
			t.Fatalf("%d windows × %d concurrent mints changed %d rows, want at most one per window", windows, workers*each, rows)
		}
		// Statements may exceed rows: mints that read the row before the
		// first write of a window also try, and change nothing.
		t.Logf("%d mints in %d windows: %d UPDATE statements, %d rows changed", windows*workers*each, windows, calls, rows)
	})
}

func TestMintTokenClaims(t *testing.T) {
	f := newFixture(t, session.Settings{MaxLifetime: 24 * time.Hour, TokenTTL: 90 * time.Second})
	ctx := context.Background()
	f.clock.Advance(3*time.Minute + 30*time.Second)
	second := f.clock.Now()
	if _, err := f.db.UpdateSession(ctx, f.sess.ID, func(s *store.Session) error { s.SecondFactorVerifiedAt = &second; return nil }); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)
	tok, err := f.svc.MintToken(ctx, f.sess.ID, f.client.ID, "https://app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
		pk, ok := f.keyring.PublicKey(tk.Header["kid"].(string))
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return pk, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(f.clock.Now), jwt.WithIssuer(fixIssuer))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["kid"] != f.keyring.Signer().KID || parsed.Header["typ"] != "JWT" {
		t.Fatalf("header %v", parsed.Header)
	}
	now := f.clock.Now().Unix()
	want := map[string]any{
		"iss": fixIssuer, "sub": f.userID, "sid": f.sess.ID, "azp": "https://app.example.com",
		"iat": float64(now), "nbf": float64(now - 5), "exp": float64(now + 90), "v": float64(2),
		"fva": []any{float64(5), float64(2)},
	}
	if !reflect.DeepEqual(map[string]any(claims), want) {
		t.Fatalf("claims\n got %v\nwant %v", claims, want)
	}
}

func TestMintTokenRefusals(t *testing.T) {
	f := newFixture(t, session.Settings{MaxLifetime: time.Hour})
	ctx := context.Background()
	code := func(err error) string {
		if e := apperr.As(err); e != nil {
			return e.Code
		}
		return ""
	}
	if _, err := f.svc.MintToken(ctx, f.sess.ID, "", ""); err != nil { // the Backend API names no client
		t.Fatalf("no client: %v", err)
	}
	for name, c := range map[string]struct{ sid, cid string }{
		"other client":    {f.sess.ID, "client_other"},
		"unknown session": {"sess_unknown", f.client.ID},
	} {
		if _, err := f.svc.MintToken(ctx, c.sid, c.cid, ""); code(err) != "resource_not_found" {
			t.Fatalf("%s: %v, want resource_not_found", name, err)
		}
	}
	f.clock.Advance(time.Hour)
	if _, err := f.svc.MintToken(ctx, f.sess.ID, f.client.ID, ""); code(err) != "session_not_active" {
		t.Fatalf("expired: %v", err)
	}
	s2 := f.newSession(t, f.client.ID, f.userID)
	if _, err := f.svc.End(ctx, s2.ID, f.client.ID, session.StatusRevoked); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MintToken(ctx, s2.ID, f.client.ID, ""); code(err) != "session_not_active" {
		t.Fatalf("revoked: %v", err)
	}
}

func TestStatusAndExpireAt(t *testing.T) {
	f := newFixture(t, session.Settings{MaxLifetime: time.Hour, InactivityTimeout: 10 * time.Minute})
	s := f.sess
	if got := f.svc.Status(s); got != session.StatusActive {
		t.Fatal(got)
	}
	if got, want := f.svc.ExpireAt(s), s.LastActiveAt.Add(10*time.Minute); !got.Equal(want) {
		t.Fatalf("ExpireAt %v, want the inactivity deadline %v", got, want)
	}
	f.clock.Advance(10 * time.Minute)
	if got := f.svc.Status(s); got != session.StatusExpired {
		t.Fatalf("at the inactivity deadline: %s", got)
	}
	s.LastActiveAt = s.CreatedAt.Add(55 * time.Minute)
	if got, want := f.svc.ExpireAt(s), s.ExpireAt; !got.Equal(want) {
		t.Fatalf("ExpireAt %v, want the lifetime end %v", got, want)
	}
	f.clock.Advance(50 * time.Minute) // at the lifetime end
	if got := f.svc.Status(s); got != session.StatusExpired {
		t.Fatalf("at the lifetime end: %s", got)
	}
	s.Status = session.StatusRevoked
	if got := f.svc.Status(s); got != session.StatusRevoked {
		t.Fatalf("a stored end wins: %s", got)
	}
}

// List pages over the filtered list, also for the statuses derived from the
// clock and across its internal batches.
func TestListPagesByDerivedStatus(t *testing.T) {
	f := newFixture(t, session.Settings{MaxLifetime: time.Hour})
	ctx := context.Background()
	for i := 0; i < 149; i++ { // with the fixture's, 150 to expire
		f.newSession(t, f.client.ID, f.userID)
	}
	f.clock.Advance(59 * time.Minute)
	for i := 0; i < 120; i++ {
		f.newSession(t, f.client.ID, f.userID)
	}
	ended := f.newSession(t, f.client.ID, f.userID)
	if _, err := f.svc.End(ctx, ended.ID, "", session.StatusEnded); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)

	all, err := f.svc.List(ctx, store.SessionFilter{UserID: f.userID, Limit: 1000}, "")
	if err != nil || len(all) != 271 {
		t.Fatalf("all: %d %v", len(all), err)
	}
	by := map[string][]string{}
	for _, s := range all {
		by[f.svc.Status(s)] = append(by[f.svc.Status(s)], s.ID)
	}
	if len(by["active"]) != 120 || len(by["expired"]) != 150 || len(by["ended"]) != 1 {
		t.Fatalf("statuses: %d active, %d expired, %d ended", len(by["active"]), len(by["expired"]), len(by["ended"]))
	}
	for _, status := range []string{"active", "expired", "ended", "revoked"} {
		ref := by[status]
		for _, p := range [][2]int{{10, 0}, {10, 95}, {100, 0}, {100, 100}, {500, 0}, {7, 140}, {1, 149}, {5, 300}} {
			limit, offset := p[0], p[1]
			got, err := f.svc.List(ctx, store.SessionFilter{UserID: f.userID, Limit: limit, Offset: offset}, status)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{}
			if offset < len(ref) {
				want = ref[offset:min(offset+limit, len(ref))]
			}
			gotIDs := []string{}
			for _, s := range got {
				gotIDs = append(gotIDs, s.ID)
			}
			if !reflect.DeepEqual(gotIDs, want) {
				t.Fatalf("%s limit %d offset %d: %d sessions, want %d", status, limit, offset, len(gotIDs), len(want))
			}
		}
	}
}
