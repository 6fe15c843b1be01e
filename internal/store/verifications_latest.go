package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// LatestVerificationFor returns the newest verification sent for an
// identification (an address being verified from the account page).
func (db *DB) LatestVerificationFor(ctx context.Context, identID string) (Verification, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+verificationColumns+` FROM verifications
		WHERE identification_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, identID)
	if err != nil {
		return Verification{}, mapErr(err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Verification])
	return v, mapErr(err)
}
