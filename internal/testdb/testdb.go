// Package testdb gives each test its own real PostgreSQL database. The
// migrations run once per schema version into a template database; each test
// clones it with CREATE DATABASE ... TEMPLATE, which takes milliseconds, so
// tests run in parallel on isolated data. A missing database is a failure,
// never a skip: `make test` starts one.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/migrations"
)

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// BaseURL is the server to create test databases on (DATABASE_URL).
func BaseURL(t testing.TB) string {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL")
	}
	return url
}

// New creates a fresh, migrated database for this test and drops it when the
// test ends. It returns the open store and the database's URL.
func New(t testing.TB) (*store.DB, string) {
	t.Helper()
	base := BaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx, base) })
	if templateErr != nil {
		t.Fatalf("testdb: template: %v", templateErr)
	}
	name := "t_" + randomHex(8)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testdb: connect %s: %v", redact(base), err)
	}
	defer admin.Close(ctx)
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName))
		if err == nil || attempt == 20 || !isBusy(err) {
			break
		}
		time.Sleep(50 * time.Millisecond) // another process is still connected to the template
	}
	if err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	url := withDatabase(t, base, name)
	db, err := store.Open(ctx, url, 10, NestedUseGuard(t))
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return db, url
}

// NestedUseGuard is the store option every test pool gets: a statement sent
// through the pool from inside one of its transactions fails, and the test
// fails when it ends with the stack of each such call (see store.WithNestedUseGuard).
func NestedUseGuard(t testing.TB) store.Option {
	var mu sync.Mutex
	var stacks []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range stacks {
			t.Errorf("pool statement inside a transaction:\n%s", s)
		}
	})
	return store.WithNestedUseGuard(func(stack string) {
		mu.Lock()
		stacks = append(stacks, stack)
		mu.Unlock()
	})
}

// NewEmpty creates an empty database (no migrations) for tests of the
// migrator itself, dropped when the test ends. It returns its URL.
func NewEmpty(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	ctx := context.Background()
	name := "t_" + randomHex(8)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testdb: connect %s: %v", redact(base), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDatabase(t, base, name)
}

func isBusy(err error) bool {
	pgErr, ok := err.(*pgconn.PgError)
	return ok && pgErr.Code == "55006" // object_in_use
}

// ensureTemplate builds the template for the current migrations once per
// cluster: an advisory lock serialises the test binaries go test runs in
// parallel, and the template is published by renaming, so nobody clones a
// half-migrated one.
func ensureTemplate(ctx context.Context, base string) (string, error) {
	name := "latchkey_tmpl_" + migrationsHash()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", redact(base), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('latchkey.testdb.template'))`); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext('latchkey.testdb.template'))`)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Remove templates of older schema versions so the cluster does not fill up.
	rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'latchkey\_tmpl\_%'`)
	old, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, o := range old {
		_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, o))
	}
	building := name + "_building"
	_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	url, err := replaceDatabase(base, building)
	if err != nil {
		return "", err
	}
	db, err := store.Open(ctx, url, 2)
	if err != nil {
		return "", err
	}
	m, err := store.NewMigrator(db)
	if err == nil {
		_, err = m.Up(ctx)
		m.Close()
	}
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	slog.Debug("testdb: built template", "name", name)
	return name, nil
}

func migrationsHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func withDatabase(t testing.TB, base, name string) string {
	u, err := replaceDatabase(base, name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return u
}

func replaceDatabase(base, name string) (string, error) {
	cfg, err := pgconn.ParseConfig(base)
	if err != nil {
		return "", err
	}
	// Rebuild a URL with the same credentials and host, another database.
	q := ""
	if i := strings.Index(base, "?"); i >= 0 {
		q = base[i:]
	}
	return fmt.Sprintf("postgres://%s:%s@%s:%d/%s%s", cfg.User, urlEscape(cfg.Password), cfg.Host, cfg.Port, name, q), nil
}

func urlEscape(s string) string {
	return strings.NewReplacer("%", "%25", "@", "%40", ":", "%3A", "/", "%2F", "?", "%3F", "#", "%23").Replace(s)
}

func redact(url string) string {
	if cfg, err := pgconn.ParseConfig(url); err == nil {
		return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	}
	return "(unparseable url)"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
