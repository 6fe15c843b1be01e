package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// SignUp is a sign-up attempt on a client.
type SignUp struct {
	ID                  string          `db:"id"`
	ClientID            string          `db:"client_id"`
	Status              string          `db:"status"`
	EmailAddress        *string         `db:"email_address"`
	PhoneNumber         *string         `db:"phone_number"`
	Username            *string         `db:"username"`
	FirstName           *string         `db:"first_name"`
	LastName            *string         `db:"last_name"`
	PasswordDigest      *string         `db:"password_digest"`
	UnsafeMetadata      json.RawMessage `db:"unsafe_metadata"`
	LegalAcceptedAt     *time.Time      `db:"legal_accepted_at"`
	EmailVerificationID *string         `db:"email_verification_id"`
	EmailVerifiedAt     *time.Time      `db:"email_verified_at"`
	PhoneVerificationID *string         `db:"phone_verification_id"`
	PhoneVerifiedAt     *time.Time      `db:"phone_verified_at"`
	CreatedUserID       *string         `db:"created_user_id"`
	CreatedSessionID    *string         `db:"created_session_id"`
	ExternalStrategy    *string         `db:"external_strategy"` // oauth_<provider> when it came through one
	AbandonAt           time.Time       `db:"abandon_at"`
	CreatedAt           time.Time       `db:"created_at"`
	UpdatedAt           time.Time       `db:"updated_at"`

	// The wallet of a Web3 sign-up, its signature challenge and when it was proven.
	Web3Wallet               *string    `db:"web3_wallet"`
	Web3WalletVerificationID *string    `db:"web3_wallet_verification_id"`
	Web3WalletVerifiedAt     *time.Time `db:"web3_wallet_verified_at"`
	// The invitation whose ticket the sign-up came with.
	InvitationID *string `db:"invitation_id"`
}

const signUpColumns = `id, client_id, status, email_address, phone_number, username, first_name, last_name,
	password_digest, unsafe_metadata, legal_accepted_at, email_verification_id, email_verified_at,
	created_user_id, created_session_id, abandon_at, created_at, updated_at, phone_verification_id, phone_verified_at,
	web3_wallet, web3_wallet_verification_id, web3_wallet_verified_at, invitation_id,
	external_strategy`

func insertSignUp(ctx context.Context, tx pgx.Tx, s SignUp) error {
	_, err := tx.Exec(ctx, `INSERT INTO sign_ups (`+signUpColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25)`,
		s.ID, s.ClientID, s.Status, s.EmailAddress, s.PhoneNumber, s.Username, s.FirstName, s.LastName,
		s.PasswordDigest, s.UnsafeMetadata, s.LegalAcceptedAt, s.EmailVerificationID, s.EmailVerifiedAt,
		s.CreatedUserID, s.CreatedSessionID, s.AbandonAt, s.CreatedAt, s.UpdatedAt, s.PhoneVerificationID, s.PhoneVerifiedAt,
		s.Web3Wallet, s.Web3WalletVerificationID, s.Web3WalletVerifiedAt, s.InvitationID, s.ExternalStrategy)
	return err
}

func writeSignUp(ctx context.Context, tx pgx.Tx, s SignUp) error {
	_, err := tx.Exec(ctx, `UPDATE sign_ups SET status=$2, email_address=$3, phone_number=$4, username=$5,
		first_name=$6, last_name=$7, password_digest=$8, unsafe_metadata=$9, legal_accepted_at=$10,
		email_verification_id=$11, email_verified_at=$12, created_user_id=$13, created_session_id=$14,
		updated_at=$15, phone_verification_id=$16, phone_verified_at=$17,
		web3_wallet=$18, web3_wallet_verification_id=$19, web3_wallet_verified_at=$20, invitation_id=$21, external_strategy=$22 WHERE id=$1`,
		s.ID, s.Status, s.EmailAddress, s.PhoneNumber, s.Username, s.FirstName, s.LastName, s.PasswordDigest,
		s.UnsafeMetadata, s.LegalAcceptedAt, s.EmailVerificationID, s.EmailVerifiedAt, s.CreatedUserID,
		s.CreatedSessionID, s.UpdatedAt, s.PhoneVerificationID, s.PhoneVerifiedAt,
		s.Web3Wallet, s.Web3WalletVerificationID, s.Web3WalletVerifiedAt, s.InvitationID, s.ExternalStrategy)
	return err
}

func getSignUp(ctx context.Context, q querier, id string, forUpdate bool) (SignUp, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := q.Query(ctx, `SELECT `+signUpColumns+` FROM sign_ups WHERE id = $1`+lock, id)
	if err != nil {
		return SignUp{}, mapErr(err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SignUp])
	return s, mapErr(err)
}

// GetSignUp loads a sign-up attempt.
func (db *DB) GetSignUp(ctx context.Context, id string) (SignUp, error) {
	return getSignUp(ctx, db.Pool, id, false)
}
