// Package testserver starts the whole Latchkey application for end-to-end
// tests: a private real database, both listeners on loopback ports, a
// secret key, and a clock the test can move.
package testserver

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/server"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

// Clock is a settable clock; it starts at the real time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Env is a running Latchkey.
type Env struct {
	Server    *server.Server
	DB        *store.DB
	DBURL     string
	Clock     *Clock
	AdminURL  string // base of the admin listener, e.g. http://127.0.0.1:PORT
	PublicURL string // base of the public listener (http://localhost:PORT with StartListening)
	SecretKey string
	Config    config.Config
}

// Start runs Latchkey for the test; mutate lets a test change the config.
// Both listeners are httptest servers on 127.0.0.1 and the configured public
// URL is left alone, which suits tests that talk HTTP directly.
func Start(t testing.TB, mutate ...func(*config.Config)) *Env {
	t.Helper()
	return start(t, nil, mutate)
}

// StartListening runs Latchkey for browser tests: the public listener is
// bound first on a free loopback port, and PublicURL is set to
// http://localhost:PORT before mutate runs and the server is built, so the
// token issuer, cookies, links in emails and page redirects all name the
// address a browser actually uses.
func StartListening(t testing.TB, mutate ...func(*config.Config)) *Env {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: listen: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() }) // also when start fails before serving on it
	return start(t, l, mutate)
}

// start builds and serves the application. With public set, the public
// handler is served on it and PublicURL names it as localhost.
func start(t testing.TB, public net.Listener, mutate []func(*config.Config)) *Env {
	t.Helper()
	db, url := testdb.New(t)
	cfg := config.Default()
	cfg.Env = config.EnvDevelopment
	cfg.Database.URL = url
	cfg.DataDir = t.TempDir()
	cfg.Keys.EncryptionKey = base64.StdEncoding.EncodeToString(make32())
	cfg.Users.PasswordHashConcurrency = 2
	if public != nil {
		cfg.PublicURL = fmt.Sprintf("http://localhost:%d", public.Addr().(*net.TCPAddr).Port)
	}
	for _, m := range mutate {
		m(&cfg)
	}
	clock := &Clock{now: time.Now().UTC()}
	env := serve(t, cfg, db, clock, public)
	env.DBURL = url
	key, err := env.Server.SecretKeys.Create(context.Background(), "test")
	if err != nil {
		t.Fatalf("testserver: secret key: %v", err)
	}
	env.SecretKey = key
	return env
}

// Replica runs a second Latchkey over the same database and configuration
// as env, with a pool of its own, as a second replica behind a load balancer
// would. It shares env's clock and secret key.
func Replica(t testing.TB, env *Env) *Env {
	t.Helper()
	db, err := store.Open(context.Background(), env.DBURL, 8, testdb.NestedUseGuard(t))
	if err != nil {
		t.Fatalf("testserver: replica: %v", err)
	}
	t.Cleanup(db.Close)
	r := serve(t, env.Config, db, env.Clock, nil)
	r.DBURL, r.SecretKey = env.DBURL, env.SecretKey
	return r
}

// serve builds the application over db and serves both listeners; with
// public set, the public handler is served on it.
func serve(t testing.TB, cfg config.Config, db *store.DB, clock *Clock, public net.Listener) *Env {
	t.Helper()
	var logOut io.Writer = io.Discard
	if os.Getenv("LATCHKEY_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	ctx := context.Background()
	srv, err := server.Build(ctx, cfg, log, db, clock.Now)
	if err != nil {
		t.Fatalf("testserver: build: %v", err)
	}
	workerCtx, stopWorker := context.WithCancel(ctx)
	go func() { _ = srv.Notifier.Run(workerCtx) }()
	go func() { _ = srv.OAuth.Run(workerCtx) }()
	t.Cleanup(stopWorker)
	admin := httptest.NewServer(srv.AdminHandler())
	t.Cleanup(admin.Close)
	publicServer := httptest.NewUnstartedServer(srv.PublicHandler())
	if public != nil {
		publicServer.Listener.Close()
		publicServer.Listener = public
	}
	publicServer.Start()
	t.Cleanup(publicServer.Close)
	publicURL := publicServer.URL
	if public != nil {
		publicURL = cfg.PublicURL
	}
	return &Env{Server: srv, DB: db, Clock: clock, AdminURL: admin.URL, PublicURL: publicURL, Config: cfg}
}

func make32() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}
