package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// Invitation statuses as stored; "expired" is derived from ExpiresAt.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
)

// Invitation lets one email address sign up, also in restricted mode. Only
// the SHA-256 of its ticket is kept.
type Invitation struct {
	ID             string          `db:"id"`
	EmailAddress   string          `db:"email_address"`
	PublicMetadata json.RawMessage `db:"public_metadata"`
	RedirectURL    *string         `db:"redirect_url"`
	Status         string          `db:"status"`
	TicketHash     []byte          `db:"ticket_hash"`
	ExpiresAt      *time.Time      `db:"expires_at"`
	CreatedAt      time.Time       `db:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at"`
}

const invitationColumns = `id, email_address, public_metadata, redirect_url, status, ticket_hash, expires_at, created_at, updated_at`

// InvitationFilter selects invitations for the Backend API's list.
type InvitationFilter struct {
	Statuses []string // pending, accepted, revoked, expired; none: all
	Query    string   // part of the email address
	Now      time.Time
	Oldest   bool // oldest first (order_by=created_at); newest first by default
	Limit    int
	Offset   int
}

// InsertInvitations stores new invitations and runs also (the emails that
// carry their links) in the same transaction: all of it happens or none.
func (db *DB) InsertInvitations(ctx context.Context, invs []Invitation, also func(pgx.Tx) error) error {
	return mapErr(db.InTx(ctx, func(tx pgx.Tx) error {
		for _, inv := range invs {
			_, err := tx.Exec(ctx, `INSERT INTO invitations (`+invitationColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
				inv.ID, inv.EmailAddress, inv.PublicMetadata, inv.RedirectURL, inv.Status, inv.TicketHash, inv.ExpiresAt,
				inv.CreatedAt, inv.UpdatedAt)
			if err != nil {
				return err
			}
		}
		if also == nil {
			return nil
		}
		return also(tx)
	}))
}

// PendingInvitationExists reports whether email has an invitation that is
// still usable at now.
func (db *DB) PendingInvitationExists(ctx context.Context, email string, now time.Time) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM invitations WHERE email_address = $1
		AND status = 'pending' AND (expires_at IS NULL OR expires_at > $2))`, email, now).Scan(&ok)
	return ok, mapErr(err)
}

// ListInvitations returns one page and how many match.
func (db *DB) ListInvitations(ctx context.Context, f InvitationFilter) ([]Invitation, int64, error) {
	// The derived status: a pending invitation past its expiry is expired.
	const where = ` FROM invitations WHERE (cardinality($1::text[]) = 0 OR
		(CASE WHEN status = 'pending' AND expires_at IS NOT NULL AND expires_at <= $2 THEN 'expired' ELSE status END) = ANY($1))
		AND ($3 = '' OR strpos(email_address, lower($3)) > 0)`
	statuses := f.Statuses
	if statuses == nil {
		statuses = []string{}
	}
	order := ` ORDER BY created_at DESC, id DESC`
	if f.Oldest {
		order = ` ORDER BY created_at, id`
	}
	rows, _ := db.Pool.Query(ctx, `SELECT `+invitationColumns+where+order+` LIMIT $4 OFFSET $5`,
		statuses, f.Now, f.Query, f.Limit, f.Offset)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Invitation])
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var total int64
	err = db.Pool.QueryRow(ctx, `SELECT count(*)`+where, statuses, f.Now, f.Query).Scan(&total)
	return out, total, mapErr(err)
}

// RevokeInvitation marks a pending invitation revoked. ErrNotFound if there
// is none with id; ok is false if it was no longer pending (it is returned
// unchanged).
func (db *DB) RevokeInvitation(ctx context.Context, id string, at time.Time) (inv Invitation, ok bool, err error) {
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE id = $1 FOR UPDATE`, id)
		inv, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Invitation])
		if err != nil {
			return err
		}
		if inv.Status != InvitationPending {
			return nil
		}
		inv.Status, inv.UpdatedAt, ok = InvitationRevoked, at, true
		_, err = tx.Exec(ctx, `UPDATE invitations SET status = $2, updated_at = $3 WHERE id = $1`, id, inv.Status, at)
		return err
	})
	return inv, ok, mapErr(err)
}

// InvitationByTicketHash finds the invitation a ticket belongs to.
func (db *DB) InvitationByTicketHash(ctx context.Context, hash []byte) (Invitation, error) {
	rows, _ := db.Pool.Query(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE ticket_hash = $1`, hash)
	inv, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Invitation])
	return inv, mapErr(err)
}

// AcceptInvitation marks the invitation accepted if it is still pending and
// unexpired at at, in the sign-up's transaction; ErrNotFound otherwise, so
// an invitation revoked while its sign-up was under way lets nobody in.
func (t *Tx) AcceptInvitation(id string, at time.Time) (Invitation, error) {
	rows, _ := t.tx.Query(t.ctx, `UPDATE invitations SET status = 'accepted', updated_at = $2
		WHERE id = $1 AND status = 'pending' AND (expires_at IS NULL OR expires_at > $2)
		RETURNING `+invitationColumns, id, at)
	inv, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Invitation])
	return inv, mapErr(err)
}
