package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// Passkey is a user's WebAuthn credential (table passkeys). Credential is
// go-webauthn's record as JSON; the store does not look inside it.
type Passkey struct {
	ID             string          `db:"id" json:"id"`
	UserID         string          `db:"user_id" json:"user_id"`
	Name           string          `db:"name" json:"name"`
	CredentialID   []byte          `db:"credential_id" json:"-"`
	Credential     json.RawMessage `db:"credential" json:"-"`
	SignCount      int64           `db:"sign_count" json:"-"`
	VerificationID *string         `db:"verification_id" json:"-"`
	VerifiedAt     *time.Time      `db:"verified_at" json:"verified_at"`
	LastUsedAt     *time.Time      `db:"last_used_at" json:"last_used_at"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at" json:"updated_at"`
}

// MaxPasskeysPerUser is how many verified passkeys one user may hold (Clerk's limit).
const MaxPasskeysPerUser = 10

const passkeyColumns = `id, user_id, name, credential_id, credential, sign_count, verification_id,
	verified_at, last_used_at, created_at, updated_at`

// userPasskeysAgg is the user's verified passkeys as a JSON array, for the
// queries that load a user in one round trip (the user object lists them).
const userPasskeysAgg = `coalesce((SELECT json_agg(json_build_object('id', p.id, 'user_id', p.user_id,
	'name', p.name, 'verified_at', p.verified_at, 'last_used_at', p.last_used_at, 'created_at', p.created_at,
	'updated_at', p.updated_at) ORDER BY p.created_at, p.id) FROM passkeys p
	WHERE p.user_id = users.id AND p.verified_at IS NOT NULL), '[]') AS pks`

// WebAuthnCeremony is the server side of one WebAuthn registration or
// authentication, attached to the verification that tracks its status.
type WebAuthnCeremony struct {
	VerificationID string          `db:"verification_id"`
	Kind           string          `db:"kind"`
	UserID         *string         `db:"user_id"`
	Session        json.RawMessage `db:"session"`
	Options        json.RawMessage `db:"options"`
	CreatedAt      time.Time       `db:"created_at"`
}

// Ceremony kinds.
const (
	CeremonyRegistration   = "registration"
	CeremonyAuthentication = "authentication"
)

func (t *Tx) InsertCeremony(c WebAuthnCeremony) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO webauthn_ceremonies (verification_id, kind, user_id, session, options, created_at)
		VALUES ($1,$2,$3,$4,$5,$6)`, c.VerificationID, c.Kind, c.UserID, c.Session, c.Options, c.CreatedAt)
	return err
}

func (t *Tx) Ceremony(verificationID string) (WebAuthnCeremony, error) {
	return getCeremony(t.ctx, t.tx, verificationID)
}

// Ceremony loads the WebAuthn ceremony of a verification.
func (db *DB) Ceremony(ctx context.Context, verificationID string) (WebAuthnCeremony, error) {
	return getCeremony(ctx, db.Pool, verificationID)
}

func getCeremony(ctx context.Context, q querier, verificationID string) (WebAuthnCeremony, error) {
	rows, err := q.Query(ctx, `SELECT verification_id, kind, user_id, session, options, created_at
		FROM webauthn_ceremonies WHERE verification_id = $1`, verificationID)
	if err != nil {
		return WebAuthnCeremony{}, mapErr(err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[WebAuthnCeremony])
	return c, mapErr(err)
}

func (t *Tx) InsertPasskey(p Passkey) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO passkeys (`+passkeyColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		p.ID, p.UserID, p.Name, p.CredentialID, p.Credential, p.SignCount, p.VerificationID, p.VerifiedAt,
		p.LastUsedAt, p.CreatedAt, p.UpdatedAt)
	return err
}

func (t *Tx) SavePasskey(p Passkey) error {
	_, err := t.tx.Exec(t.ctx, `UPDATE passkeys SET name=$2, credential_id=$3, credential=$4, sign_count=$5,
		verification_id=$6, verified_at=$7, last_used_at=$8, updated_at=$9 WHERE id=$1`,
		p.ID, p.Name, p.CredentialID, p.Credential, p.SignCount, p.VerificationID, p.VerifiedAt, p.LastUsedAt, p.UpdatedAt)
	return err
}

// LockPasskey loads a passkey under a row lock.
func (t *Tx) LockPasskey(id string) (Passkey, error) {
	return onePasskey(t.ctx, t.tx, `WHERE id = $1 FOR UPDATE`, id)
}

// LockPasskeyByCredentialID finds a verified passkey by its WebAuthn
// credential id, under a row lock (its sign counter is about to move).
func (t *Tx) LockPasskeyByCredentialID(credID []byte) (Passkey, error) {
	return onePasskey(t.ctx, t.tx, `WHERE credential_id = $1 AND verified_at IS NOT NULL FOR UPDATE`, credID)
}

// CountVerifiedPasskeys counts a user's usable passkeys.
func (t *Tx) CountVerifiedPasskeys(userID string) (int, error) {
	var n int
	err := t.tx.QueryRow(t.ctx, `SELECT count(*) FROM passkeys WHERE user_id = $1 AND verified_at IS NOT NULL`, userID).Scan(&n)
	return n, err
}

// DeleteStalePasskeys removes a user's unverified passkeys created before
// before: registrations that were abandoned.
func (t *Tx) DeleteStalePasskeys(userID string, before time.Time) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM passkeys WHERE user_id = $1 AND verified_at IS NULL AND created_at < $2`, userID, before)
	return err
}

// GetPasskey loads a passkey.
func (db *DB) GetPasskey(ctx context.Context, id string) (Passkey, error) {
	return onePasskey(ctx, db.Pool, `WHERE id = $1`, id)
}

// UserPasskeys lists a user's passkeys, verified ones only, oldest first.
func (db *DB) UserPasskeys(ctx context.Context, userID string) ([]Passkey, error) {
	return userPasskeys(ctx, db.Pool, userID)
}

// UserPasskeys is DB.UserPasskeys inside the transaction.
func (t *Tx) UserPasskeys(userID string) ([]Passkey, error) { return userPasskeys(t.ctx, t.tx, userID) }

func userPasskeys(ctx context.Context, q querier, userID string) ([]Passkey, error) {
	rows, err := q.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE user_id = $1 AND verified_at IS NOT NULL ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Passkey])
	return out, mapErr(err)
}

// RenamePasskey sets a verified passkey's name; userID scopes it to its owner.
func (db *DB) RenamePasskey(ctx context.Context, userID, id, name string, at time.Time) (Passkey, error) {
	rows, err := db.Pool.Query(ctx, `UPDATE passkeys SET name = $3, updated_at = $4
		WHERE id = $1 AND user_id = $2 AND verified_at IS NOT NULL RETURNING `+passkeyColumns, id, userID, name, at)
	if err != nil {
		return Passkey{}, mapErr(err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Passkey])
	return p, mapErr(err)
}

// DeletePasskey removes a passkey of the user (verified or not).
func (db *DB) DeletePasskey(ctx context.Context, userID, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

func onePasskey(ctx context.Context, q querier, where string, args ...any) (Passkey, error) {
	rows, err := q.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys `+where, args...)
	if err != nil {
		return Passkey{}, mapErr(err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Passkey])
	return p, mapErr(err)
}

// attachPasskeys fills the Passkeys of users loaded in bulk (verified only).
func attachPasskeys(ctx context.Context, q querier, byID map[string]*User) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	rows, err := q.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE user_id = ANY($1) AND verified_at IS NOT NULL ORDER BY created_at, id`, ids)
	if err != nil {
		return mapErr(err)
	}
	pks, err := pgx.CollectRows(rows, pgx.RowToStructByName[Passkey])
	if err != nil {
		return mapErr(err)
	}
	for _, p := range pks {
		u := byID[p.UserID]
		u.Passkeys = append(u.Passkeys, p)
	}
	return nil
}
