package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Email outbox statuses.
const (
	EmailPending = "pending" // waiting for its next attempt, or being sent
	EmailSent    = "sent"    // accepted by the SMTP server
	EmailFailed  = "failed"  // given up
	EmailDev     = "dev"     // kept in the development outbox, never sent
)

// EmailLease is how far ClaimDueEmails pushes a claimed message's
// next_attempt_at: no other claim sees it for that long, and if its sender
// dies mid-send it becomes due again once the lease runs out. Senders must
// finish (or give up on) a message well within it.
const EmailLease = 2 * time.Minute

// OutboxEmail is one message in the email outbox.
type OutboxEmail struct {
	ID            string     `db:"id"`
	To            string     `db:"to_address"`
	Subject       string     `db:"subject"`
	TextBody      string     `db:"text_body"`
	HTMLBody      string     `db:"html_body"`
	Kind          string     `db:"kind"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     *string    `db:"last_error"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
	PurgeAfter    *time.Time `db:"purge_after"`
}

const emailColumns = `id, to_address, subject, text_body, html_body, kind, status, attempts,
	next_attempt_at, last_error, created_at, sent_at, purge_after`

// EnqueueEmail inserts a message as given (usually pending and due now).
func (db *DB) EnqueueEmail(ctx context.Context, e OutboxEmail) error {
	return mapErr(insertEmail(ctx, db.Pool, e))
}

// EnqueueEmailTx inserts a message in the caller's transaction, so it is
// sent only if that transaction (which stores the code it carries) commits.
func (db *DB) EnqueueEmailTx(ctx context.Context, tx pgx.Tx, e OutboxEmail) error {
	return mapErr(insertEmail(ctx, tx, e))
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func insertEmail(ctx context.Context, q execer, e OutboxEmail) error {
	if e.Status == "" {
		e.Status = EmailPending
	}
	_, err := q.Exec(ctx, `INSERT INTO email_outbox (`+emailColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.ID, e.To, e.Subject, e.TextBody, e.HTMLBody, e.Kind, e.Status, e.Attempts,
		e.NextAttemptAt, e.LastError, e.CreatedAt, e.SentAt, e.PurgeAfter)
	return err
}

// ClaimDueEmails claims up to limit pending messages due at now, oldest
// first. In one transaction it locks them with SKIP LOCKED (so concurrent
// claims on other replicas take other rows), counts the attempt and pushes
// next_attempt_at to now+EmailLease. It returns the claimed rows with the
// attempt already counted.
func (db *DB) ClaimDueEmails(ctx context.Context, now time.Time, limit int) ([]OutboxEmail, error) {
	var out []OutboxEmail
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH due AS (
				SELECT id FROM email_outbox
				WHERE status = 'pending' AND next_attempt_at <= $1
				ORDER BY next_attempt_at, id
				LIMIT $2
				FOR UPDATE SKIP LOCKED
			)
			UPDATE email_outbox e SET attempts = e.attempts + 1, next_attempt_at = $3
			FROM due WHERE e.id = due.id
			RETURNING e.id, e.to_address, e.subject, e.text_body, e.html_body, e.kind, e.status,
				e.attempts, e.next_attempt_at, e.last_error, e.created_at, e.sent_at, e.purge_after`,
			now, limit, now.Add(EmailLease))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByName[OutboxEmail])
		return err
	})
	return out, err
}

// MarkEmailSent records that a pending message was accepted for delivery.
// It returns ErrNotFound if the message is no longer pending.
func (db *DB) MarkEmailSent(ctx context.Context, id string, sentAt, purgeAfter time.Time) error {
	return db.finishEmail(ctx, `UPDATE email_outbox SET status = 'sent', sent_at = $2, purge_after = $3
		WHERE id = $1 AND status = 'pending'`, id, sentAt, purgeAfter)
}

// MarkEmailRetry records a failed attempt and when to try again. It returns
// ErrNotFound if the message is no longer pending.
func (db *DB) MarkEmailRetry(ctx context.Context, id string, nextAt time.Time, lastErr string) error {
	return db.finishEmail(ctx, `UPDATE email_outbox SET next_attempt_at = $2, last_error = $3
		WHERE id = $1 AND status = 'pending'`, id, nextAt, lastErr)
}

// MarkEmailFailed gives up on a pending message. It returns ErrNotFound if
// the message is no longer pending.
func (db *DB) MarkEmailFailed(ctx context.Context, id, lastErr string, purgeAfter time.Time) error {
	return db.finishEmail(ctx, `UPDATE email_outbox SET status = 'failed', last_error = $2, purge_after = $3
		WHERE id = $1 AND status = 'pending'`, id, lastErr, purgeAfter)
}

func (db *DB) finishEmail(ctx context.Context, sql string, args ...any) error {
	tag, err := db.Pool.Exec(ctx, sql, args...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// RecentEmails returns the newest messages, newest first, for the
// development outbox.
func (db *DB) RecentEmails(ctx context.Context, limit int) ([]OutboxEmail, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+emailColumns+` FROM email_outbox
		ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[OutboxEmail])
	return out, mapErr(err)
}

// PurgeEmails deletes messages whose purge_after is at or before before and
// reports how many went.
func (db *DB) PurgeEmails(ctx context.Context, before time.Time) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM email_outbox WHERE purge_after <= $1`, before)
	if err != nil {
		return 0, mapErr(err)
	}
	return tag.RowsAffected(), nil
}
