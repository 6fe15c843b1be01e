package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// TOTP is a user's authenticator app (migration 00008). SecretSealed is the
// base32 secret sealed with keys.Box; VerifiedAt is nil until the first code
// confirmed the enrolment.
type TOTP struct {
	ID           string     `db:"id"`
	UserID       string     `db:"user_id"`
	SecretSealed []byte     `db:"secret_sealed"`
	VerifiedAt   *time.Time `db:"verified_at"`
	LastUsedStep int64      `db:"last_used_step"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
}

const totpColumns = `id, user_id, secret_sealed, verified_at, last_used_step, created_at, updated_at`

// mfaColumns derive a user's second-factor state from the MFA tables in the
// same query that reads the user; alias names the users table in it.
func mfaColumns(alias string) string {
	return `EXISTS (SELECT 1 FROM totps t WHERE t.user_id = ` + alias + `.id AND t.verified_at IS NOT NULL) AS totp_enabled,
		EXISTS (SELECT 1 FROM backup_codes b WHERE b.user_id = ` + alias + `.id AND b.used_at IS NULL) AS backup_code_enabled,
		(SELECT t.verified_at FROM totps t WHERE t.user_id = ` + alias + `.id) AS totp_verified_at`
}

// GetTOTP loads a user's authenticator app.
func (db *DB) GetTOTP(ctx context.Context, userID string) (TOTP, error) {
	return getTOTP(ctx, db.Pool, userID, false)
}

func getTOTP(ctx context.Context, q querier, userID string, forUpdate bool) (TOTP, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := q.Query(ctx, `SELECT `+totpColumns+` FROM totps WHERE user_id = $1`+lock, userID)
	if err != nil {
		return TOTP{}, mapErr(err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[TOTP])
	return t, mapErr(err)
}

// LockTOTP loads a user's authenticator app under a row lock: checking a code
// and recording its time step happen under it, so a replay races nobody.
func (t *Tx) LockTOTP(userID string) (TOTP, error) { return getTOTP(t.ctx, t.tx, userID, true) }

// PutTOTP replaces the user's authenticator app (a new enrolment).
func (t *Tx) PutTOTP(v TOTP) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO totps (`+totpColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7)
		ON CONFLICT (user_id) DO UPDATE SET id = EXCLUDED.id, secret_sealed = EXCLUDED.secret_sealed,
		verified_at = EXCLUDED.verified_at, last_used_step = EXCLUDED.last_used_step,
		created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`,
		v.ID, v.UserID, v.SecretSealed, v.VerifiedAt, v.LastUsedStep, v.CreatedAt, v.UpdatedAt)
	return mapErr(err)
}

// SaveTOTP writes back the verification state of an authenticator app.
func (t *Tx) SaveTOTP(v TOTP) error {
	_, err := t.tx.Exec(t.ctx, `UPDATE totps SET verified_at = $2, last_used_step = $3, updated_at = $4 WHERE id = $1`,
		v.ID, v.VerifiedAt, v.LastUsedStep, v.UpdatedAt)
	return mapErr(err)
}

// DeleteTOTP removes a user's authenticator app; it reports whether there was one.
func (t *Tx) DeleteTOTP(userID string) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM totps WHERE user_id = $1`, userID)
	return tag.RowsAffected() > 0, mapErr(err)
}

// ReplaceBackupCodes makes hashes the user's only backup codes.
func (t *Tx) ReplaceBackupCodes(userID string, hashes [][]byte, at time.Time) error {
	if _, err := t.DeleteBackupCodes(userID); err != nil {
		return err
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO backup_codes (user_id, code_hash, created_at)
		SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h`, userID, hashes, at)
	return mapErr(err)
}

// UseBackupCode spends an unused backup code with hash; it reports whether
// there was one. The conditional update makes a code single use even when
// two requests present it at once.
func (t *Tx) UseBackupCode(userID string, hash []byte, at time.Time) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `UPDATE backup_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash, at)
	return tag.RowsAffected() == 1, mapErr(err)
}

// DeleteBackupCodes removes every backup code of a user; it reports whether there were any.
func (t *Tx) DeleteBackupCodes(userID string) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM backup_codes WHERE user_id = $1`, userID)
	return tag.RowsAffected() > 0, mapErr(err)
}

// MarkSecondFactor records when a session's second factor was verified
// (the session's factor_verification_age).
func (t *Tx) MarkSecondFactor(sessionID string, at time.Time) error {
	_, err := t.tx.Exec(t.ctx, `UPDATE sessions SET second_factor_verified_at = $2 WHERE id = $1`, sessionID, at)
	return mapErr(err)
}

// AddMFAFailure counts a wrong second-factor code for a user and returns the count.
func (t *Tx) AddMFAFailure(userID string, at time.Time) (int, error) {
	var n int
	err := t.tx.QueryRow(t.ctx, `INSERT INTO mfa_failures (user_id, failures, last_failed_at) VALUES ($1, 1, $2)
		ON CONFLICT (user_id) DO UPDATE SET failures = mfa_failures.failures + 1, last_failed_at = $2
		RETURNING failures`, userID, at).Scan(&n)
	return n, mapErr(err)
}

// ClearMFAFailures forgets a user's wrong second-factor codes.
func (t *Tx) ClearMFAFailures(userID string) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM mfa_failures WHERE user_id = $1`, userID)
	return mapErr(err)
}

// PhoneSecondFactor reports whether the user has a verified phone number
// reserved for the second factor (an SMS code after the first factor).
func (u User) PhoneSecondFactor() bool {
	for _, i := range u.Identifications {
		if i.Type == TypePhone && i.Verified && i.ReservedForSecondFactor {
			return true
		}
	}
	return false
}

// ReleaseSecondFactorPhones un-reserves every phone number of a user for the
// second factor (an operator's MFA reset); the numbers stay on the account.
func (t *Tx) ReleaseSecondFactorPhones(userID string, at time.Time) error {
	_, err := t.tx.Exec(t.ctx, `UPDATE identifications SET reserved_for_second_factor = false,
		default_second_factor = false, updated_at = $3
		WHERE user_id = $1 AND type = $2 AND (reserved_for_second_factor OR default_second_factor)`, userID, TypePhone, at)
	return mapErr(err)
}
