package bench

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// statement is one normalised statement's counters over a scenario.
type statement struct {
	query string
	calls int64
	rows  int64
	kind  writeKind
}

// pgStats reads pg_stat_statements in the server's database. A nil
// *pgStats (no -db) does nothing; so does one whose extension is missing,
// after saying why in the report.
type pgStats struct {
	conn        *pgx.Conn
	dbid        uint32
	unavailable string
}

// openPGStats connects and makes sure pg_stat_statements can be read: the
// library must be preloaded (the dev cluster does), and the extension is
// created in this database when missing (the migrations do not create it).
func openPGStats(ctx context.Context, url string) (*pgStats, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("-db: %w", err)
	}
	s := &pgStats{conn: conn}
	if err := conn.QueryRow(ctx, `SELECT oid FROM pg_database WHERE datname = current_database()`).Scan(&s.dbid); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("-db: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		s.unavailable = "CREATE EXTENSION pg_stat_statements failed: " + err.Error()
		return s, nil
	}
	if _, err := conn.Exec(ctx, `SELECT 1 FROM pg_stat_statements LIMIT 1`); err != nil {
		s.unavailable = "pg_stat_statements cannot be read (is it in shared_preload_libraries?): " + err.Error()
	}
	return s, nil
}

func (s *pgStats) usable() bool { return s != nil && s.unavailable == "" }

// note explains missing statement counts in the report.
func (s *pgStats) note() string {
	switch {
	case s == nil:
		return "no -db given: PostgreSQL statements per request are not measured"
	case s.unavailable != "":
		return s.unavailable
	}
	return ""
}

func (s *pgStats) close() {
	if s != nil {
		s.conn.Close(context.Background())
	}
}

// reset clears the counters of this database only, so a shared cluster's
// other databases keep theirs.
func (s *pgStats) reset(ctx context.Context) error {
	if !s.usable() {
		return nil
	}
	_, err := s.conn.Exec(ctx, `SELECT pg_stat_statements_reset(0::oid, $1::oid, 0::bigint)`, s.dbid)
	if err != nil {
		return fmt.Errorf("pg_stat_statements_reset: %w", err)
	}
	return nil
}

// collect reads the statements run in this database since the reset,
// leaving out the benchmark's own queries on pg_stat_statements.
func (s *pgStats) collect(ctx context.Context) ([]statement, error) {
	if !s.usable() {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT query, calls, rows FROM pg_stat_statements
		WHERE dbid = $1 AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC, query`, s.dbid)
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (statement, error) {
		var st statement
		err := r.Scan(&st.query, &st.calls, &st.rows)
		st.kind = classify(st.query)
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	return out, nil
}
