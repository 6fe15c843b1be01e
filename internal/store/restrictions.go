package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Restrictions are the instance's restriction switches (one row).
type Restrictions struct {
	Allowlist                   bool      `db:"allowlist"`
	Blocklist                   bool      `db:"blocklist"`
	ListsDisabledOnSignIn       bool      `db:"allowlist_blocklist_disabled_on_sign_in"`
	BlockEmailSubaddresses      bool      `db:"block_email_subaddresses"`
	BlockDisposableEmailDomains bool      `db:"block_disposable_email_domains"`
	UpdatedAt                   time.Time `db:"updated_at"`
}

// Restriction lists.
const (
	Allowlist = "allowlist"
	Blocklist = "blocklist"
)

// RestrictionIdentifier is one allowlist or blocklist entry.
type RestrictionIdentifier struct {
	ID             string    `db:"id"`
	List           string    `db:"list"`
	Identifier     string    `db:"identifier"`
	IdentifierType string    `db:"identifier_type"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

const restrictionColumns = `allowlist, blocklist, allowlist_blocklist_disabled_on_sign_in,
	block_email_subaddresses, block_disposable_email_domains, updated_at`

// GetRestrictions reads the switches.
func (db *DB) GetRestrictions(ctx context.Context) (Restrictions, error) {
	rows, _ := db.Pool.Query(ctx, `SELECT `+restrictionColumns+` FROM instance_restrictions`)
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Restrictions])
	return r, mapErr(err)
}

// UpdateRestrictions changes the switches under a row lock.
func (db *DB) UpdateRestrictions(ctx context.Context, fn func(*Restrictions) error) (Restrictions, error) {
	var out Restrictions
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+restrictionColumns+` FROM instance_restrictions FOR UPDATE`)
		r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Restrictions])
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE instance_restrictions SET allowlist=$1, blocklist=$2,
			allowlist_blocklist_disabled_on_sign_in=$3, block_email_subaddresses=$4,
			block_disposable_email_domains=$5, updated_at=$6`,
			r.Allowlist, r.Blocklist, r.ListsDisabledOnSignIn, r.BlockEmailSubaddresses,
			r.BlockDisposableEmailDomains, r.UpdatedAt)
		out = r
		return err
	})
	return out, mapErr(err)
}

// RestrictionMatch is the switches together with whether any of the
// candidate keys is on each list: one round trip per check.
type RestrictionMatch struct {
	Restrictions
	Allowed bool `db:"allowed"`
	Blocked bool `db:"blocked"`
}

// MatchRestrictions reads the switches and looks the candidate keys up in
// both lists. An address whose invitation was accepted counts as
// allowlisted: the operator let that person in, also for later sign-ins.
func (db *DB) MatchRestrictions(ctx context.Context, allowKeys, blockKeys []string) (RestrictionMatch, error) {
	return matchRestrictions(ctx, db.Pool, allowKeys, blockKeys)
}

// MatchRestrictions is DB.MatchRestrictions inside the transaction, for
// checks made while rows are locked.
func (t *Tx) MatchRestrictions(ctx context.Context, allowKeys, blockKeys []string) (RestrictionMatch, error) {
	return matchRestrictions(ctx, t.tx, allowKeys, blockKeys)
}

func matchRestrictions(ctx context.Context, q querier, allowKeys, blockKeys []string) (RestrictionMatch, error) {
	rows, _ := q.Query(ctx, `SELECT `+restrictionColumns+`,
		(EXISTS (SELECT 1 FROM restriction_identifiers WHERE list = 'allowlist' AND identifier = ANY($1))
		 OR EXISTS (SELECT 1 FROM invitations WHERE status = 'accepted' AND email_address = ANY($1))) AS allowed,
		EXISTS (SELECT 1 FROM restriction_identifiers WHERE list = 'blocklist' AND identifier = ANY($2)) AS blocked
		FROM instance_restrictions`, allowKeys, blockKeys)
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[RestrictionMatch])
	return m, mapErr(err)
}

// InsertRestrictionIdentifier adds an entry; a duplicate is a *UniqueViolation.
func (db *DB) InsertRestrictionIdentifier(ctx context.Context, r RestrictionIdentifier) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO restriction_identifiers
		(id, list, identifier, identifier_type, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		r.ID, r.List, r.Identifier, r.IdentifierType, r.CreatedAt, r.UpdatedAt)
	return mapErr(err)
}

// ListRestrictionIdentifiers returns one page of a list, oldest first, and
// the list's size.
func (db *DB) ListRestrictionIdentifiers(ctx context.Context, list string, limit, offset int) ([]RestrictionIdentifier, int64, error) {
	rows, _ := db.Pool.Query(ctx, `SELECT id, list, identifier, identifier_type, created_at, updated_at
		FROM restriction_identifiers WHERE list = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, list, limit, offset)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[RestrictionIdentifier])
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var total int64
	err = db.Pool.QueryRow(ctx, `SELECT count(*) FROM restriction_identifiers WHERE list = $1`, list).Scan(&total)
	return out, total, mapErr(err)
}

// DeleteRestrictionIdentifier removes an entry of list; ErrNotFound if none.
func (db *DB) DeleteRestrictionIdentifier(ctx context.Context, list, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM restriction_identifiers WHERE list = $1 AND id = $2`, list, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Context is the transaction's context, for checks that read outside it.
func (t *Tx) Context() context.Context { return t.ctx }
