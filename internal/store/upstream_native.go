package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// A native app's provider round trip: the callback arrives in the system
// browser, which does not carry the app's client, so the provider's
// response is parked on the flow until the app's own client presents the
// one-time nonce the browser was sent back to the app with.

// NativeFlowByState finds a pending flow by its state's hash that has not
// parked a response yet, for the callback to decide whether to park it.
func (db *DB) NativeFlowByState(ctx context.Context, stateHash []byte, now time.Time) (UpstreamAuthorization, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+upstreamColumns+` FROM upstream_authorizations
		WHERE state_hash = $1 AND status = 'pending' AND native_nonce_hash IS NULL AND expire_at > $2`, stateHash, now)
	if err != nil {
		return UpstreamAuthorization{}, mapErr(err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[UpstreamAuthorization])
	return a, mapErr(err)
}

// ParkNativeResponse keeps the sealed provider response on the flow with
// the nonce's hash; only the first callback parks (ErrNotFound after).
func (db *DB) ParkNativeResponse(ctx context.Context, id string, responseEnc, nonceHash []byte, now time.Time) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE upstream_authorizations SET native_response_enc = $2,
		native_nonce_hash = $3, updated_at = $4 WHERE id = $1 AND status = 'pending' AND native_nonce_hash IS NULL`,
		id, responseEnc, nonceHash, now)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// TakeNativeResponse hands the parked response of the client's flow for a
// sign-in or sign-up (column sign_in_id or sign_up_id) to the holder of
// the nonce, once: the response is removed in the same statement.
func (db *DB) TakeNativeResponse(ctx context.Context, clientID, column, objectID string, nonceHash []byte, now time.Time) (id string, responseEnc []byte, err error) {
	if column != "sign_in_id" && column != "sign_up_id" {
		panic("store: TakeNativeResponse on " + column)
	}
	err = db.Pool.QueryRow(ctx, `WITH parked AS (
			SELECT id, native_response_enc FROM upstream_authorizations
			WHERE native_nonce_hash = $1 AND client_id = $2 AND `+column+` = $3 AND status = 'pending'
				AND native_response_enc IS NOT NULL AND expire_at > $4
			FOR UPDATE)
		UPDATE upstream_authorizations u SET native_response_enc = NULL, updated_at = $4
		FROM parked WHERE u.id = parked.id RETURNING parked.id, parked.native_response_enc`,
		nonceHash, clientID, objectID, now).Scan(&id, &responseEnc)
	return id, responseEnc, mapErr(err)
}
