package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Session is a signed-in user on a client.
type Session struct {
	ID                     string     `db:"id"`
	ClientID               string     `db:"client_id"`
	UserID                 string     `db:"user_id"`
	Status                 string     `db:"status"`
	ExpireAt               time.Time  `db:"expire_at"`
	LastActiveAt           time.Time  `db:"last_active_at"`
	FirstFactorVerifiedAt  time.Time  `db:"first_factor_verified_at"`
	SecondFactorVerifiedAt *time.Time `db:"second_factor_verified_at"`
	AuthenticationStrategy *string    `db:"authentication_strategy"`
	CreatedAt              time.Time  `db:"created_at"`
	UpdatedAt              time.Time  `db:"updated_at"`
	EndedAt                *time.Time `db:"ended_at"`
}

const sessionColumns = `id, client_id, user_id, status, expire_at, last_active_at, first_factor_verified_at,
	second_factor_verified_at, authentication_strategy, created_at, updated_at, ended_at`

func insertSession(ctx context.Context, tx pgx.Tx, s Session) error {
	_, err := tx.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		s.ID, s.ClientID, s.UserID, s.Status, s.ExpireAt, s.LastActiveAt, s.FirstFactorVerifiedAt,
		s.SecondFactorVerifiedAt, s.AuthenticationStrategy, s.CreatedAt, s.UpdatedAt, s.EndedAt)
	return err
}

func writeSession(ctx context.Context, tx pgx.Tx, s Session) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET status=$2, expire_at=$3, last_active_at=$4,
		second_factor_verified_at=$5, updated_at=$6, ended_at=$7 WHERE id=$1`,
		s.ID, s.Status, s.ExpireAt, s.LastActiveAt, s.SecondFactorVerifiedAt, s.UpdatedAt, s.EndedAt)
	return err
}

func collectSessions(rows pgx.Rows, err error) ([]Session, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	s, err := pgx.CollectRows(rows, pgx.RowToStructByName[Session])
	return s, mapErr(err)
}

// GetSession loads one session: the single indexed read behind every token.
func (db *DB) GetSession(ctx context.Context, id string) (Session, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id)
	if err != nil {
		return Session{}, mapErr(err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	return s, mapErr(err)
}

// SessionsByClient lists a client's sessions, oldest first.
func (db *DB) SessionsByClient(ctx context.Context, clientID string) ([]Session, error) {
	return collectSessions(db.Pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE client_id = $1 ORDER BY created_at, id`, clientID))
}

// SessionFilter selects sessions for the Backend API list.
type SessionFilter struct {
	UserID, ClientID string
	Statuses         []string // stored statuses
	Limit, Offset    int
}

// ListSessions lists sessions newest first.
func (db *DB) ListSessions(ctx context.Context, f SessionFilter) ([]Session, error) {
	b := &sqlBuilder{}
	if f.UserID != "" {
		b.add(`user_id = ` + b.arg(f.UserID))
	}
	if f.ClientID != "" {
		b.add(`client_id = ` + b.arg(f.ClientID))
	}
	if len(f.Statuses) > 0 {
		b.add(`status = ANY(` + b.arg(f.Statuses) + `)`)
	}
	where := ""
	if len(b.where) > 0 {
		where = " WHERE " + strings.Join(b.where, " AND ")
	}
	return collectSessions(db.Pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions`+where+
		` ORDER BY created_at DESC, id DESC LIMIT `+b.arg(f.Limit)+` OFFSET `+b.arg(f.Offset), b.args...))
}

// UpdateSession changes a session under a row lock.
func (db *DB) UpdateSession(ctx context.Context, id string, fn func(*Session) error) (Session, error) {
	var out Session
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
		if err != nil {
			return err
		}
		if err := fn(&s); err != nil {
			return err
		}
		out = s
		return writeSession(ctx, tx, s)
	})
	return out, err
}

// EndClientSessions sets status on every still-active session of a client
// (sign out everywhere on this browser), returning how many changed.
func (db *DB) EndClientSessions(ctx context.Context, clientID, status string, at time.Time) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `UPDATE sessions SET status = $2, ended_at = $3, updated_at = $3
		WHERE client_id = $1 AND status = 'active'`, clientID, status, at)
	return tag.RowsAffected(), mapErr(err)
}

// TouchSession records activity for the inactivity timeout. The condition
// keeps it to at most one write per granularity window, however many tokens
// are minted.
func (db *DB) TouchSession(ctx context.Context, id string, at, notAfter time.Time) error {
	_, err := db.Pool.Exec(ctx, `UPDATE sessions SET last_active_at = $2 WHERE id = $1 AND last_active_at < $3`,
		id, at, notAfter)
	return mapErr(err)
}

// ActiveSessionOfClient returns the session a client token's browser is
// signed in with (its last active session), in one round trip. The caller
// still applies the clock (lifetime and inactivity) to the result.
func (db *DB) ActiveSessionOfClient(ctx context.Context, tokenHash []byte, now time.Time) (Session, error) {
	rows, err := db.Pool.Query(ctx, `SELECT s.id, s.client_id, s.user_id, s.status, s.expire_at, s.last_active_at,
			s.first_factor_verified_at, s.second_factor_verified_at, s.authentication_strategy, s.created_at,
			s.updated_at, s.ended_at
		FROM clients c JOIN sessions s ON s.id = c.last_active_session_id AND s.client_id = c.id
		WHERE c.token_hash = $1 AND c.expires_at > $2 AND s.status = 'active'`, tokenHash, now)
	if err != nil {
		return Session{}, mapErr(err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	return s, mapErr(err)
}
