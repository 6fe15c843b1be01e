package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The token wallet's queries over external_accounts: reading a user's
// accounts for a provider and changing their sealed upstream tokens under a
// row lock, so that concurrent requests on any replica cause one upstream
// refresh per account, not one each.

// UserExternalAccountsByProvider lists the user's accounts at one provider,
// oldest first. ErrNotFound means the user does not exist.
func (db *DB) UserExternalAccountsByProvider(ctx context.Context, userID, provider string) ([]ExternalAccount, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
		WHERE user_id = $1 AND provider = $2 ORDER BY created_at, id`, userID, provider)
	if err != nil {
		return nil, mapErr(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[ExternalAccount])
	if err != nil || len(list) > 0 {
		return list, mapErr(err)
	}
	var exists bool
	if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, userID).Scan(&exists); err != nil {
		return nil, mapErr(err)
	}
	if !exists {
		return nil, ErrNotFound
	}
	return list, nil
}

// TokenChange decides, holding the account's row lock, whether and how its
// tokens change; it returns false to leave the row as it is. It may call the
// provider: the lock is what makes one caller refresh while the others wait
// and then see the new tokens.
type TokenChange func(a *ExternalAccount) (changed bool, err error)

// ChangeExternalAccountTokens locks the account's row, lets change decide,
// and saves the token columns in the same transaction. It is not retried
// (unlike InTx): change may have spent a rotating refresh token upstream.
func (db *DB) ChangeExternalAccountTokens(ctx context.Context, id string, change TokenChange) (ExternalAccount, error) {
	var out ExternalAccount
	err := pgx.BeginFunc(ctx, db.Pool, db.guarded(func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
			WHERE id = $1 FOR NO KEY UPDATE`, id)
		if err != nil {
			return err
		}
		a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ExternalAccount])
		if err != nil {
			return err
		}
		out, err = applyTokenChange(ctx, tx, a, change)
		return err
	}))
	return out, mapErr(err)
}

// ChangeDueExternalAccountTokens is the background refresher's step: it
// locks one account whose refreshable token expires before due (skipping
// rows another replica or request holds, and the ids in skip), lets change
// refresh it and saves, all in one transaction. found is false when no
// account is due.
func (db *DB) ChangeDueExternalAccountTokens(ctx context.Context, due time.Time, skip []string, change TokenChange) (a ExternalAccount, found bool, err error) {
	if skip == nil {
		skip = []string{}
	}
	err = pgx.BeginFunc(ctx, db.Pool, db.guarded(func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
			WHERE refresh_token_enc IS NOT NULL AND NOT needs_reauthorization
				AND token_expires_at < $1 AND id <> ALL ($2)
			ORDER BY token_expires_at LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`, due, skip)
		if err != nil {
			return err
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByName[ExternalAccount])
		if err != nil || len(list) == 0 {
			return err
		}
		found = true
		a, err = applyTokenChange(ctx, tx, list[0], change)
		return err
	}))
	return a, found, mapErr(err)
}

func applyTokenChange(ctx context.Context, tx pgx.Tx, a ExternalAccount, change TokenChange) (ExternalAccount, error) {
	changed, err := change(&a)
	if err != nil || !changed {
		return a, err
	}
	if a.ApprovedScopes == nil {
		a.ApprovedScopes = []string{} // the column is NOT NULL; pgx sends a nil slice as NULL
	}
	_, err = tx.Exec(ctx, `UPDATE external_accounts SET access_token_enc = $2, refresh_token_enc = $3,
			id_token_enc = $4, token_type = $5, token_expires_at = $6, token_refreshed_at = $7,
			approved_scopes = $8, needs_reauthorization = $9, reauthorization_reason = $10, updated_at = $11
		WHERE id = $1`,
		a.ID, a.AccessTokenEnc, a.RefreshTokenEnc, a.IDTokenEnc, a.TokenType, a.TokenExpiresAt,
		a.TokenRefreshedAt, a.ApprovedScopes, a.NeedsReauthorization, a.ReauthorizationReason, a.UpdatedAt)
	return a, err
}

// DeleteUserExternalAccount removes one of the user's external accounts
// (ErrNotFound if the user has no account with that id).
func (db *DB) DeleteUserExternalAccount(ctx context.Context, userID, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM external_accounts WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
