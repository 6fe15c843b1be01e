package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// OutboxSMS is one text message in the SMS outbox. Its statuses are the
// email outbox's (EmailPending, EmailSent, EmailFailed, EmailDev) and a
// claim leases it for EmailLease, as for email.
type OutboxSMS struct {
	ID            string     `db:"id"`
	To            string     `db:"to_number"`
	Body          string     `db:"body"`
	Kind          string     `db:"kind"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     *string    `db:"last_error"`
	ProviderID    *string    `db:"provider_id"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
	PurgeAfter    *time.Time `db:"purge_after"`
}

const smsColumns = `id, to_number, body, kind, status, attempts, next_attempt_at, last_error, provider_id,
	created_at, sent_at, purge_after`

// EnqueueSMS inserts a message outside any transaction.
func (db *DB) EnqueueSMS(ctx context.Context, m OutboxSMS) error {
	return mapErr(insertSMS(ctx, db.Pool, m))
}

// EnqueueSMSTx inserts a message in the caller's transaction, so it is sent
// only if the transaction that stores its code commits.
func (db *DB) EnqueueSMSTx(ctx context.Context, tx pgx.Tx, m OutboxSMS) error {
	return mapErr(insertSMS(ctx, tx, m))
}

func insertSMS(ctx context.Context, q execer, m OutboxSMS) error {
	if m.Status == "" {
		m.Status = EmailPending
	}
	_, err := q.Exec(ctx, `INSERT INTO sms_outbox (`+smsColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		m.ID, m.To, m.Body, m.Kind, m.Status, m.Attempts, m.NextAttemptAt, m.LastError, m.ProviderID,
		m.CreatedAt, m.SentAt, m.PurgeAfter)
	return err
}

// ClaimDueSMS claims up to limit due pending messages, as ClaimDueEmails does.
func (db *DB) ClaimDueSMS(ctx context.Context, now time.Time, limit int) ([]OutboxSMS, error) {
	var out []OutboxSMS
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH due AS (
				SELECT id FROM sms_outbox
				WHERE status = 'pending' AND next_attempt_at <= $1
				ORDER BY next_attempt_at, id
				LIMIT $2
				FOR UPDATE SKIP LOCKED
			)
			UPDATE sms_outbox m SET attempts = m.attempts + 1, next_attempt_at = $3
			FROM due WHERE m.id = due.id
			RETURNING m.id, m.to_number, m.body, m.kind, m.status, m.attempts, m.next_attempt_at,
				m.last_error, m.provider_id, m.created_at, m.sent_at, m.purge_after`,
			now, limit, now.Add(EmailLease))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByName[OutboxSMS])
		return err
	})
	return out, err
}

// MarkSMSSent records that the provider accepted a pending message.
func (db *DB) MarkSMSSent(ctx context.Context, id, providerID string, sentAt, purgeAfter time.Time) error {
	return db.finishEmail(ctx, `UPDATE sms_outbox SET status = 'sent', provider_id = NULLIF($2, ''), sent_at = $3,
		purge_after = $4 WHERE id = $1 AND status = 'pending'`, id, providerID, sentAt, purgeAfter)
}

// MarkSMSRetry records a failed attempt and when to try again.
func (db *DB) MarkSMSRetry(ctx context.Context, id string, nextAt time.Time, lastErr string) error {
	return db.finishEmail(ctx, `UPDATE sms_outbox SET next_attempt_at = $2, last_error = $3
		WHERE id = $1 AND status = 'pending'`, id, nextAt, lastErr)
}

// MarkSMSFailed gives up on a pending message.
func (db *DB) MarkSMSFailed(ctx context.Context, id, lastErr string, purgeAfter time.Time) error {
	return db.finishEmail(ctx, `UPDATE sms_outbox SET status = 'failed', last_error = $2, purge_after = $3
		WHERE id = $1 AND status = 'pending'`, id, lastErr, purgeAfter)
}

// RecentSMS returns the newest messages, newest first, for the dev outbox.
func (db *DB) RecentSMS(ctx context.Context, limit int) ([]OutboxSMS, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+smsColumns+` FROM sms_outbox
		ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[OutboxSMS])
	return out, mapErr(err)
}

// PurgeSMS deletes messages past their purge_after.
func (db *DB) PurgeSMS(ctx context.Context, before time.Time) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM sms_outbox WHERE purge_after <= $1`, before)
	if err != nil {
		return 0, mapErr(err)
	}
	return tag.RowsAffected(), nil
}
