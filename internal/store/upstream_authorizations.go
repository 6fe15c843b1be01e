package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// UpstreamAuthorization is one round trip to an upstream provider (table
// upstream_authorizations). Secrets are sealed or hashed by the social
// package; the store never sees a token, verifier or state in clear.
type UpstreamAuthorization struct {
	ID                        string          `db:"id"`
	ClientID                  string          `db:"client_id"`
	Provider                  string          `db:"provider"`
	Purpose                   string          `db:"purpose"`
	SignInID                  *string         `db:"sign_in_id"`
	SignUpID                  *string         `db:"sign_up_id"`
	UserID                    *string         `db:"user_id"`
	StateHash                 []byte          `db:"state_hash"`
	CodeVerifierEnc           []byte          `db:"code_verifier_enc"`
	NonceHash                 []byte          `db:"nonce_hash"`
	RedirectURL               string          `db:"redirect_url"`
	ActionCompleteRedirectURL string          `db:"action_complete_redirect_url"`
	Scopes                    []string        `db:"scopes"`
	Status                    string          `db:"status"`
	LinkRequires              string          `db:"link_requires"`
	Profile                   json.RawMessage `db:"profile"`
	AccessTokenEnc            []byte          `db:"access_token_enc"`
	RefreshTokenEnc           []byte          `db:"refresh_token_enc"`
	IDTokenEnc                []byte          `db:"id_token_enc"`
	TokenType                 string          `db:"token_type"`
	TokenExpiresAt            *time.Time      `db:"token_expires_at"`
	ExpireAt                  time.Time       `db:"expire_at"`
	CreatedAt                 time.Time       `db:"created_at"`
	UpdatedAt                 time.Time       `db:"updated_at"`
}

const upstreamColumns = `id, client_id, provider, purpose, sign_in_id, sign_up_id, user_id, state_hash,
	code_verifier_enc, nonce_hash, redirect_url, action_complete_redirect_url, scopes, status, link_requires,
	profile, access_token_enc, refresh_token_enc, id_token_enc, token_type, token_expires_at, expire_at,
	created_at, updated_at`

func upstreamArgs(a UpstreamAuthorization) []any {
	if len(a.Profile) == 0 {
		a.Profile = json.RawMessage(`{}`)
	}
	if a.Scopes == nil {
		a.Scopes = []string{}
	}
	return []any{a.ID, a.ClientID, a.Provider, a.Purpose, a.SignInID, a.SignUpID, a.UserID, a.StateHash,
		a.CodeVerifierEnc, a.NonceHash, a.RedirectURL, a.ActionCompleteRedirectURL, a.Scopes, a.Status,
		a.LinkRequires, a.Profile, a.AccessTokenEnc, a.RefreshTokenEnc, a.IDTokenEnc, a.TokenType,
		a.TokenExpiresAt, a.ExpireAt, a.CreatedAt, a.UpdatedAt}
}

// InsertUpstreamAuthorization records a flow that is starting.
func (db *DB) InsertUpstreamAuthorization(ctx context.Context, a UpstreamAuthorization) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO upstream_authorizations (`+upstreamColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)`, upstreamArgs(a)...)
	return mapErr(err)
}

// ConsumeUpstreamState spends a pending flow by its state's hash: the row
// moves out of "pending" in the same statement that finds it, so of two
// callbacks carrying one state only one gets it (single use).
func (db *DB) ConsumeUpstreamState(ctx context.Context, stateHash []byte, now time.Time) (UpstreamAuthorization, error) {
	rows, err := db.Pool.Query(ctx, `UPDATE upstream_authorizations SET status = 'consumed', updated_at = $2
		WHERE state_hash = $1 AND status = 'pending' RETURNING `+upstreamColumns, stateHash, now)
	if err != nil {
		return UpstreamAuthorization{}, mapErr(err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[UpstreamAuthorization])
	return a, mapErr(err)
}

// SaveUpstreamAuthorization writes a flow's outcome back.
func (t *Tx) SaveUpstreamAuthorization(a UpstreamAuthorization) error {
	if len(a.Profile) == 0 {
		a.Profile = []byte(`{}`)
	}
	if a.Scopes == nil {
		a.Scopes = []string{}
	}
	_, err := t.tx.Exec(t.ctx, `UPDATE upstream_authorizations SET sign_in_id=$2, sign_up_id=$3, user_id=$4,
		status=$5, link_requires=$6, profile=$7, access_token_enc=$8, refresh_token_enc=$9, id_token_enc=$10,
		token_type=$11, token_expires_at=$12, scopes=$13, updated_at=$14 WHERE id=$1`,
		a.ID, a.SignInID, a.SignUpID, a.UserID, a.Status, a.LinkRequires, a.Profile, a.AccessTokenEnc,
		a.RefreshTokenEnc, a.IDTokenEnc, a.TokenType, a.TokenExpiresAt, a.Scopes, a.UpdatedAt)
	return err
}

// InsertUpstreamAuthorization records a flow inside a transaction (the
// native ID-token strategy, which has no round trip).
func (t *Tx) InsertUpstreamAuthorization(a UpstreamAuthorization) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO upstream_authorizations (`+upstreamColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)`, upstreamArgs(a)...)
	return err
}

// PendingLinkFor locks the flow waiting to be linked when the sign-in (or
// sign-up) completes; ErrNotFound when there is none.
func (t *Tx) PendingLinkFor(column, id string) (UpstreamAuthorization, error) {
	if column != "sign_in_id" && column != "sign_up_id" {
		panic("store: PendingLinkFor on " + column)
	}
	rows, err := t.tx.Query(t.ctx, `SELECT `+upstreamColumns+` FROM upstream_authorizations
		WHERE `+column+` = $1 AND status = 'pending_link' ORDER BY created_at DESC LIMIT 1 FOR UPDATE`, id)
	if err != nil {
		return UpstreamAuthorization{}, mapErr(err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[UpstreamAuthorization])
	return a, mapErr(err)
}

// FlowError is why a provider round trip failed, kept for the app the
// browser is sent back to (Clerk's verification error object).
type FlowError struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	LongMessage string `json:"long_message"`
}

// FailUpstream marks a flow failed with why.
func (t *Tx) FailUpstream(id string, e FlowError, at time.Time) error {
	_, err := t.tx.Exec(t.ctx, `UPDATE upstream_authorizations SET status = 'failed', error = $2, updated_at = $3
		WHERE id = $1`, id, e, at)
	return err
}

// UpstreamOutcome is the state of the latest provider round trip of a
// sign-in or sign-up (pending, consumed, pending_link, done, failed) and,
// when it failed after its callback, why; for presenting it.
func (db *DB) UpstreamOutcome(ctx context.Context, column, id string) (status string, why *FlowError, err error) {
	if column != "sign_in_id" && column != "sign_up_id" {
		panic("store: UpstreamOutcome on " + column)
	}
	err = db.Pool.QueryRow(ctx, `SELECT status, error FROM upstream_authorizations WHERE `+column+` = $1
		ORDER BY created_at DESC, id DESC LIMIT 1`, id).Scan(&status, &why)
	return status, why, mapErr(err)
}
