package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ExternalAccount is a user's account at an upstream identity provider
// (table external_accounts). Token columns hold AES-GCM ciphertexts sealed by
// the social package; the store never sees a token in clear.
type ExternalAccount struct {
	ID                    string          `db:"id"`
	UserID                string          `db:"user_id"`
	Provider              string          `db:"provider"`
	ProviderUserID        string          `db:"provider_user_id"`
	EmailAddress          string          `db:"email_address"`
	EmailVerified         bool            `db:"email_verified"`
	FirstName             string          `db:"first_name"`
	LastName              string          `db:"last_name"`
	Username              string          `db:"username"`
	ImageURL              string          `db:"image_url"`
	Label                 string          `db:"label"`
	PublicMetadata        json.RawMessage `db:"public_metadata"`
	ApprovedScopes        []string        `db:"approved_scopes"`
	AccessTokenEnc        []byte          `db:"access_token_enc"`
	RefreshTokenEnc       []byte          `db:"refresh_token_enc"`
	IDTokenEnc            []byte          `db:"id_token_enc"`
	TokenType             string          `db:"token_type"`
	TokenExpiresAt        *time.Time      `db:"token_expires_at"`
	TokenRefreshedAt      *time.Time      `db:"token_refreshed_at"`
	NeedsReauthorization  bool            `db:"needs_reauthorization"`
	ReauthorizationReason string          `db:"reauthorization_reason"`
	CreatedAt             time.Time       `db:"created_at"`
	UpdatedAt             time.Time       `db:"updated_at"`
}

// externalAccountColumns lists external_accounts' columns in ExternalAccount's order.
const externalAccountColumns = `id, user_id, provider, provider_user_id, email_address, email_verified,
	first_name, last_name, username, image_url, label, public_metadata, approved_scopes,
	access_token_enc, refresh_token_enc, id_token_enc, token_type, token_expires_at, token_refreshed_at,
	needs_reauthorization, reauthorization_reason, created_at, updated_at`

func collectExternalAccounts(rows pgx.Rows, err error) ([]ExternalAccount, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[ExternalAccount])
	return out, mapErr(err)
}

func externalAccountArgs(a ExternalAccount) []any {
	if len(a.PublicMetadata) == 0 {
		a.PublicMetadata = json.RawMessage(`{}`)
	}
	if a.ApprovedScopes == nil {
		a.ApprovedScopes = []string{}
	}
	return []any{a.ID, a.UserID, a.Provider, a.ProviderUserID, a.EmailAddress, a.EmailVerified, a.FirstName,
		a.LastName, a.Username, a.ImageURL, a.Label, a.PublicMetadata, a.ApprovedScopes, a.AccessTokenEnc,
		a.RefreshTokenEnc, a.IDTokenEnc, a.TokenType, a.TokenExpiresAt, a.TokenRefreshedAt,
		a.NeedsReauthorization, a.ReauthorizationReason, a.CreatedAt, a.UpdatedAt}
}

// InsertExternalAccount links an upstream account to a user. A second link
// of the same (provider, provider user id) fails with a UniqueViolation on
// external_accounts_provider_subject_key.
func (t *Tx) InsertExternalAccount(a ExternalAccount) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO external_accounts (`+externalAccountColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)`,
		externalAccountArgs(a)...)
	return err
}

// SaveExternalAccount writes an account's profile and tokens back (a new
// sign-in or a re-authorization refreshes them).
func (t *Tx) SaveExternalAccount(a ExternalAccount) error {
	if a.ApprovedScopes == nil {
		a.ApprovedScopes = []string{}
	}
	_, err := t.tx.Exec(t.ctx, `UPDATE external_accounts SET email_address=$2, email_verified=$3, first_name=$4,
		last_name=$5, username=$6, image_url=$7, approved_scopes=$8, access_token_enc=$9, refresh_token_enc=$10,
		id_token_enc=$11, token_type=$12, token_expires_at=$13, token_refreshed_at=$14,
		needs_reauthorization=$15, reauthorization_reason=$16, updated_at=$17 WHERE id=$1`,
		a.ID, a.EmailAddress, a.EmailVerified, a.FirstName, a.LastName, a.Username, a.ImageURL, a.ApprovedScopes,
		a.AccessTokenEnc, a.RefreshTokenEnc, a.IDTokenEnc, a.TokenType, a.TokenExpiresAt, a.TokenRefreshedAt,
		a.NeedsReauthorization, a.ReauthorizationReason, a.UpdatedAt)
	return err
}

// LockExternalAccountBySubject finds the account of (provider, provider user id) under a row lock.
func (t *Tx) LockExternalAccountBySubject(provider, subject string) (ExternalAccount, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
		WHERE provider = $1 AND provider_user_id = $2 FOR UPDATE`, provider, subject)
	if err != nil {
		return ExternalAccount{}, mapErr(err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ExternalAccount])
	return a, mapErr(err)
}

// ExternalAccountBySubject finds the account of (provider, provider user id).
func (db *DB) ExternalAccountBySubject(ctx context.Context, provider, subject string) (ExternalAccount, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
		WHERE provider = $1 AND provider_user_id = $2`, provider, subject)
	if err != nil {
		return ExternalAccount{}, mapErr(err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[ExternalAccount])
	return a, mapErr(err)
}

// ExternalAccountsOfUser lists a user's external accounts, oldest first.
func (db *DB) ExternalAccountsOfUser(ctx context.Context, userID string) ([]ExternalAccount, error) {
	return collectExternalAccounts(db.Pool.Query(ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
		WHERE user_id = $1 ORDER BY created_at, id`, userID))
}

// DeleteExternalAccountIf removes a user's external account in one
// transaction with the check that may refuse it (the last way to sign in):
// check sees the user (locked) and their remaining accounts.
func (db *DB) DeleteExternalAccountIf(ctx context.Context, userID, id string, check func(u User, remaining []ExternalAccount) error) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		u, err := db.lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		all, err := collectExternalAccounts(tx.Query(ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
			WHERE user_id = $1 ORDER BY created_at, id FOR UPDATE`, userID))
		if err != nil {
			return err
		}
		var remaining []ExternalAccount
		found := false
		for _, a := range all {
			if a.ID == id {
				found = true
			} else {
				remaining = append(remaining, a)
			}
		}
		if !found {
			return ErrNotFound
		}
		if err := check(u, remaining); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM external_accounts WHERE id = $1`, id)
		return err
	})
}

// externalAccountsJSON aggregates a user's external accounts without their
// token columns, for loading a user in one round trip.
const externalAccountsJSON = `coalesce((SELECT json_agg(json_build_object('id', e.id, 'user_id', e.user_id,
	'provider', e.provider, 'provider_user_id', e.provider_user_id, 'email_address', e.email_address,
	'email_verified', e.email_verified, 'first_name', e.first_name, 'last_name', e.last_name, 'username', e.username,
	'image_url', e.image_url, 'label', e.label, 'public_metadata', e.public_metadata, 'approved_scopes', e.approved_scopes,
	'token_expires_at', e.token_expires_at, 'needs_reauthorization', e.needs_reauthorization,
	'reauthorization_reason', e.reauthorization_reason, 'created_at', e.created_at, 'updated_at', e.updated_at)
	ORDER BY e.created_at, e.id) FROM external_accounts e WHERE e.user_id = users.id), '[]')`

type externalAccountJSON struct {
	ID                    string          `json:"id"`
	UserID                string          `json:"user_id"`
	Provider              string          `json:"provider"`
	ProviderUserID        string          `json:"provider_user_id"`
	EmailAddress          string          `json:"email_address"`
	EmailVerified         bool            `json:"email_verified"`
	FirstName             string          `json:"first_name"`
	LastName              string          `json:"last_name"`
	Username              string          `json:"username"`
	ImageURL              string          `json:"image_url"`
	Label                 string          `json:"label"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	ApprovedScopes        []string        `json:"approved_scopes"`
	TokenExpiresAt        *time.Time      `json:"token_expires_at"`
	NeedsReauthorization  bool            `json:"needs_reauthorization"`
	ReauthorizationReason string          `json:"reauthorization_reason"`
	CreatedAt             time.Time       `json:"created_at"`
	UpdatedAt             time.Time       `json:"updated_at"`
}

func decodeExternalAccounts(raw []byte) ([]ExternalAccount, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var rows []externalAccountJSON
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("store: decode external accounts: %w", err)
	}
	var out []ExternalAccount
	for _, r := range rows {
		out = append(out, ExternalAccount{ID: r.ID, UserID: r.UserID, Provider: r.Provider, ProviderUserID: r.ProviderUserID,
			EmailAddress: r.EmailAddress, EmailVerified: r.EmailVerified, FirstName: r.FirstName, LastName: r.LastName,
			Username: r.Username, ImageURL: r.ImageURL, Label: r.Label, PublicMetadata: r.PublicMetadata,
			ApprovedScopes: r.ApprovedScopes, TokenExpiresAt: r.TokenExpiresAt, NeedsReauthorization: r.NeedsReauthorization,
			ReauthorizationReason: r.ReauthorizationReason, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}

// attachExternalAccounts loads the external accounts of listed users.
func attachExternalAccounts(ctx context.Context, q querier, byID map[string]*User) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	accs, err := collectExternalAccounts(q.Query(ctx, `SELECT `+externalAccountColumns+` FROM external_accounts
		WHERE user_id = ANY($1) ORDER BY created_at, id`, ids))
	if err != nil {
		return err
	}
	for _, a := range accs {
		a.AccessTokenEnc, a.RefreshTokenEnc, a.IDTokenEnc = nil, nil, nil // presenting only
		u := byID[a.UserID]
		u.ExternalAccounts = append(u.ExternalAccounts, a)
	}
	return nil
}
