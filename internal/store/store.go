// Package store is Latchkey's PostgreSQL access: hand-written SQL, one file
// per aggregate, no business rules. Exported methods own their transaction;
// helpers take a pgx.Tx.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Sentinel errors the domain maps to its own.
var (
	ErrNotFound = errors.New("store: not found")
)

// UniqueViolation reports which unique constraint a write ran into.
type UniqueViolation struct {
	Constraint string
	Detail     string // Postgres' "Key (...)=(...)" detail, to tell which value clashed
}

func (u *UniqueViolation) Error() string { return "store: unique violation on " + u.Constraint }

// DB wraps the connection pool.
type DB struct {
	Pool  *pgxpool.Pool
	guard *nestedGuard // nil unless WithNestedUseGuard
}

// Open connects a pool and checks the database answers.
func Open(ctx context.Context, url string, maxConns int32, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.guard != nil {
		cfg.PrepareConn = o.guard.prepareConn
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: database unreachable: %w", err)
	}
	return &DB{Pool: pool, guard: o.guard}, nil
}

// Close releases the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks the database is reachable (readiness).
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// InTx runs fn in a transaction, committing when it returns nil. Serialization
// failures and deadlocks are retried a few times, so fn must be safe to re-run.
func (db *DB) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = pgx.BeginFunc(ctx, db.Pool, db.guarded(fn))
		if !isRetryable(err) {
			break
		}
	}
	return mapErr(err)
}

// guarded marks the goroutine as inside a transaction while fn runs, when
// the nested-use guard is on.
func (db *DB) guarded(fn func(pgx.Tx) error) func(pgx.Tx) error {
	if db.guard == nil {
		return fn
	}
	return func(tx pgx.Tx) error {
		defer db.guard.leave(db.guard.enter())
		return fn(tx)
	}
}

func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// mapErr turns driver errors into the store's own: no rows -> ErrNotFound,
// unique violation -> *UniqueViolation. Anything else passes through.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return &UniqueViolation{Constraint: pgErr.ConstraintName, Detail: pgErr.Detail}
	}
	return err
}

// qualified prefixes each column of a comma-separated list with table, for
// statements that join tables sharing column names.
func qualified(table, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
