package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// SignIn is a sign-in attempt on a client.
type SignIn struct {
	ID                         string    `db:"id"`
	ClientID                   string    `db:"client_id"`
	Status                     string    `db:"status"`
	Identifier                 *string   `db:"identifier"`
	UserID                     *string   `db:"user_id"`
	IdentificationID           *string   `db:"identification_id"`
	FirstFactorVerificationID  *string   `db:"first_factor_verification_id"`
	FirstFactorStrategy        *string   `db:"first_factor_strategy"`
	FirstFactorStatus          *string   `db:"first_factor_status"`
	SecondFactorVerificationID *string   `db:"second_factor_verification_id"`
	CreatedSessionID           *string   `db:"created_session_id"`
	AbandonAt                  time.Time `db:"abandon_at"`
	CreatedAt                  time.Time `db:"created_at"`
	UpdatedAt                  time.Time `db:"updated_at"`
}

const signInColumns = `id, client_id, status, identifier, user_id, identification_id,
	first_factor_verification_id, first_factor_strategy, first_factor_status,
	second_factor_verification_id, created_session_id, abandon_at, created_at, updated_at`

func insertSignIn(ctx context.Context, tx pgx.Tx, s SignIn) error {
	_, err := tx.Exec(ctx, `INSERT INTO sign_ins (`+signInColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		s.ID, s.ClientID, s.Status, s.Identifier, s.UserID, s.IdentificationID, s.FirstFactorVerificationID,
		s.FirstFactorStrategy, s.FirstFactorStatus, s.SecondFactorVerificationID, s.CreatedSessionID,
		s.AbandonAt, s.CreatedAt, s.UpdatedAt)
	return err
}

func writeSignIn(ctx context.Context, tx pgx.Tx, s SignIn) error {
	_, err := tx.Exec(ctx, `UPDATE sign_ins SET status=$2, identifier=$3, user_id=$4, identification_id=$5,
		first_factor_verification_id=$6, first_factor_strategy=$7, first_factor_status=$8,
		second_factor_verification_id=$9, created_session_id=$10, updated_at=$11 WHERE id=$1`,
		s.ID, s.Status, s.Identifier, s.UserID, s.IdentificationID, s.FirstFactorVerificationID,
		s.FirstFactorStrategy, s.FirstFactorStatus, s.SecondFactorVerificationID, s.CreatedSessionID, s.UpdatedAt)
	return err
}

func getSignIn(ctx context.Context, q querier, id string, forUpdate bool) (SignIn, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := q.Query(ctx, `SELECT `+signInColumns+` FROM sign_ins WHERE id = $1`+lock, id)
	if err != nil {
		return SignIn{}, mapErr(err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SignIn])
	return s, mapErr(err)
}

// GetSignIn loads a sign-in attempt.
func (db *DB) GetSignIn(ctx context.Context, id string) (SignIn, error) {
	return getSignIn(ctx, db.Pool, id, false)
}
