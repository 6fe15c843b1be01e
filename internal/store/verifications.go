package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Verification is a one-time code or link proving control of an identifier.
type Verification struct {
	ID               string     `db:"id"`
	ClientID         string     `db:"client_id"`
	Strategy         string     `db:"strategy"`
	Status           string     `db:"status"`
	Identifier       *string    `db:"identifier"`
	IdentificationID *string    `db:"identification_id"`
	SecretHash       []byte     `db:"secret_hash"`
	Attempts         int        `db:"attempts"`
	RedirectURL      *string    `db:"redirect_url"`
	ErrorCode        *string    `db:"error_code"`
	ExpireAt         time.Time  `db:"expire_at"`
	VerifiedAt       *time.Time `db:"verified_at"`
	CreatedAt        time.Time  `db:"created_at"`
}

const verificationColumns = `id, client_id, strategy, status, identifier, identification_id, secret_hash,
	attempts, redirect_url, error_code, expire_at, verified_at, created_at`

func insertVerification(ctx context.Context, tx pgx.Tx, v Verification) error {
	_, err := tx.Exec(ctx, `INSERT INTO verifications (`+verificationColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		v.ID, v.ClientID, v.Strategy, v.Status, v.Identifier, v.IdentificationID, v.SecretHash,
		v.Attempts, v.RedirectURL, v.ErrorCode, v.ExpireAt, v.VerifiedAt, v.CreatedAt)
	return err
}

func writeVerification(ctx context.Context, tx pgx.Tx, v Verification) error {
	_, err := tx.Exec(ctx, `UPDATE verifications SET status=$2, attempts=$3, error_code=$4, verified_at=$5,
		identification_id=$6 WHERE id=$1`, v.ID, v.Status, v.Attempts, v.ErrorCode, v.VerifiedAt, v.IdentificationID)
	return err
}

func getVerification(ctx context.Context, q querier, id string, forUpdate bool) (Verification, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := q.Query(ctx, `SELECT `+verificationColumns+` FROM verifications WHERE id = $1`+lock, id)
	if err != nil {
		return Verification{}, mapErr(err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Verification])
	return v, mapErr(err)
}

// GetVerification loads a verification.
func (db *DB) GetVerification(ctx context.Context, id string) (Verification, error) {
	return getVerification(ctx, db.Pool, id, false)
}

// VerificationByLinkHash finds an email-link verification by its token's hash.
func (db *DB) VerificationByLinkHash(ctx context.Context, hash []byte) (Verification, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+verificationColumns+` FROM verifications
		WHERE secret_hash = $1 AND strategy = 'email_link'`, hash)
	if err != nil {
		return Verification{}, mapErr(err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Verification])
	return v, mapErr(err)
}
