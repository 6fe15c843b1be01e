package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// SigningKey is a stored instance signing key.
type SigningKey struct {
	KID            string          `db:"kid"`
	Alg            string          `db:"alg"`
	PrivateKeyEnc  []byte          `db:"private_key_enc"`
	PublicJWK      json.RawMessage `db:"public_jwk"`
	CreatedAt      time.Time       `db:"created_at"`
	RetiredAt      *time.Time      `db:"retired_at"`
	PublishedUntil *time.Time      `db:"published_until"`
}

// PublishedSigningKeys returns keys that belong in the JWKS at now, newest first.
func (db *DB) PublishedSigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT kid, alg, private_key_enc, public_jwk, created_at, retired_at, published_until
		FROM signing_keys
		WHERE published_until IS NULL OR published_until > $1
		ORDER BY created_at DESC, kid DESC`, now)
	if err != nil {
		return nil, err
	}
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByName[SigningKey])
	return keys, mapErr(err)
}

// EnsureSigningKey inserts k unless an active (unretired) key already exists.
// An advisory lock makes replicas that boot together agree on one first key.
// It reports whether k was inserted.
func (db *DB) EnsureSigningKey(ctx context.Context, k SigningKey) (bool, error) {
	inserted := false
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('latchkey.signing_keys'))`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		inserted = true
		return insertSigningKey(ctx, tx, k)
	})
	return inserted, err
}

func insertSigningKey(ctx context.Context, tx pgx.Tx, k SigningKey) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO signing_keys (kid, alg, private_key_enc, public_jwk, created_at)
		VALUES ($1, $2, $3, $4, $5)`, k.KID, k.Alg, k.PrivateKeyEnc, k.PublicJWK, k.CreatedAt)
	return err
}

// SecretKey is a stored Backend API key (hash only).
type SecretKey struct {
	ID        string     `db:"id"`
	KeyHash   []byte     `db:"key_hash"`
	Hint      string     `db:"hint"`
	Name      string     `db:"name"`
	CreatedAt time.Time  `db:"created_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// InsertSecretKey stores a new secret key record.
func (db *DB) InsertSecretKey(ctx context.Context, k SecretKey) error {
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO secret_keys (id, key_hash, hint, name, created_at) VALUES ($1, $2, $3, $4, $5)`,
		k.ID, k.KeyHash, k.Hint, k.Name, k.CreatedAt)
	return mapErr(err)
}

// InsertFirstSecretKey stores k only when no active key exists yet, under an
// advisory lock so concurrent first starts mint one key. It reports whether k
// was inserted.
func (db *DB) InsertFirstSecretKey(ctx context.Context, k SecretKey) (bool, error) {
	inserted := false
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('latchkey.secret_keys'))`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM secret_keys WHERE revoked_at IS NULL)`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		inserted = true
		_, err := tx.Exec(ctx, `
			INSERT INTO secret_keys (id, key_hash, hint, name, created_at) VALUES ($1, $2, $3, $4, $5)`,
			k.ID, k.KeyHash, k.Hint, k.Name, k.CreatedAt)
		return err
	})
	return inserted, err
}

// ActiveSecretKeyByHash finds an unrevoked key by the SHA-256 of its value.
func (db *DB) ActiveSecretKeyByHash(ctx context.Context, hash []byte) (SecretKey, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT id, key_hash, hint, name, created_at, revoked_at
		FROM secret_keys WHERE key_hash = $1 AND revoked_at IS NULL`, hash)
	if err != nil {
		return SecretKey{}, err
	}
	k, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SecretKey])
	return k, mapErr(err)
}

// RotateSigningKey adds k and schedules every active key to retire when k
// starts signing, staying published until tokens it signed have expired.
func (db *DB) RotateSigningKey(ctx context.Context, k SigningKey, retireAt, publishedUntil time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('latchkey.signing_keys'))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1, published_until = $2 WHERE retired_at IS NULL`,
			retireAt, publishedUntil); err != nil {
			return err
		}
		return insertSigningKey(ctx, tx, k)
	})
}
