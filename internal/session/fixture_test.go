package session_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

// fixClock is a settable clock.
type fixClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a session service over a fresh database with a real keyring,
// one user, one client and one active session.
type fixture struct {
	db      *store.DB
	keyring *keys.Keyring
	clock   *fixClock
	svc     *session.Service
	userID  string
	client  store.Client
	sess    store.Session
}

const fixIssuer = "https://auth.example.com"

func newFixture(tb testing.TB, settings session.Settings) *fixture {
	tb.Helper()
	ctx := context.Background()
	db, _ := testdb.New(tb)
	clock := &fixClock{now: time.Now().UTC().Truncate(time.Microsecond)} // Postgres keeps microseconds
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*13 + 1)
	}
	box, err := keys.NewBox(key)
	if err != nil {
		tb.Fatal(err)
	}
	kr := keys.NewKeyring(db, box, clock.Now)
	if _, err := kr.Bootstrap(ctx); err != nil {
		tb.Fatal(err)
	}
	if settings.Issuer == "" {
		settings.Issuer = fixIssuer
	}
	f := &fixture{db: db, keyring: kr, clock: clock, svc: session.NewService(db, kr, settings, clock.Now)}
	f.userID = f.newUser(tb)
	if _, f.client, err = f.svc.NewClient(ctx); err != nil {
		tb.Fatal(err)
	}
	f.sess = f.newSession(tb, f.client.ID, f.userID)
	return f
}

func (f *fixture) newUser(tb testing.TB) string {
	tb.Helper()
	now := f.clock.Now()
	u := store.User{ID: ids.New(ids.User), PublicMetadata: json.RawMessage(`{}`), PrivateMetadata: json.RawMessage(`{}`),
		UnsafeMetadata: json.RawMessage(`{}`), DeleteSelfEnabled: true, CreateOrganizationEnabled: true, CreatedAt: now, UpdatedAt: now}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		tb.Fatal(err)
	}
	return u.ID
}

// newSession stores an active session the way a completed sign-in does.
func (f *fixture) newSession(tb testing.TB, clientID, userID string) store.Session {
	tb.Helper()
	s := f.svc.NewSession(clientID, userID, "password")
	if err := f.db.Tx(context.Background(), func(tx *store.Tx) error { return tx.InsertSession(s) }); err != nil {
		tb.Fatal(err)
	}
	return s
}
