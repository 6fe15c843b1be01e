package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/latchkey/latchkey/migrations"
)

// Migrator applies the embedded migrations. A Postgres session advisory lock
// serialises replicas that start at the same moment.
type Migrator struct {
	sqlDB    *sql.DB
	provider *goose.Provider
}

// NewMigrator prepares a migrator on the pool's config.
func NewMigrator(db *DB) (*Migrator, error) {
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrate: locker: %w", err)
	}
	// Out-of-order migrations are allowed: features developed side by side
	// reserve their numbers up front and may land in any order (00014 shipped
	// before 00007–00013), so a database already at a higher version still
	// receives the lower-numbered ones it lacks. Each migration only adds its
	// own tables, so the order between them does not matter.
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return &Migrator{sqlDB: sqlDB, provider: p}, nil
}

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context) ([]*goose.MigrationResult, error) {
	return m.provider.Up(ctx)
}

// Down rolls back the most recent migration.
func (m *Migrator) Down(ctx context.Context) (*goose.MigrationResult, error) {
	return m.provider.Down(ctx)
}

// Status lists every migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]*goose.MigrationStatus, error) {
	return m.provider.Status(ctx)
}

// Close releases the database/sql handle (not the pool).
func (m *Migrator) Close() error { return m.sqlDB.Close() }
