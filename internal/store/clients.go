package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Client is a browser or app install (the __client cookie).
type Client struct {
	ID                         string    `db:"id"`
	TokenHash                  []byte    `db:"token_hash"`
	LastActiveSessionID        *string   `db:"last_active_session_id"`
	LastAuthenticationStrategy *string   `db:"last_authentication_strategy"`
	SignInID                   *string   `db:"sign_in_id"`
	SignUpID                   *string   `db:"sign_up_id"`
	CreatedAt                  time.Time `db:"created_at"`
	UpdatedAt                  time.Time `db:"updated_at"`
	ExpiresAt                  time.Time `db:"expires_at"`
}

const clientColumns = `id, token_hash, last_active_session_id, last_authentication_strategy,
	sign_in_id, sign_up_id, created_at, updated_at, expires_at`

// InsertClient stores a new client.
func (db *DB) InsertClient(ctx context.Context, c Client) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO clients (`+clientColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		c.ID, c.TokenHash, c.LastActiveSessionID, c.LastAuthenticationStrategy, c.SignInID, c.SignUpID,
		c.CreatedAt, c.UpdatedAt, c.ExpiresAt)
	return mapErr(err)
}

func collectClient(rows pgx.Rows, err error) (Client, error) {
	if err != nil {
		return Client{}, mapErr(err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Client])
	return c, mapErr(err)
}

// ClientByTokenHash finds a client by the SHA-256 of its token.
func (db *DB) ClientByTokenHash(ctx context.Context, hash []byte) (Client, error) {
	return collectClient(db.Pool.Query(ctx, `SELECT `+clientColumns+` FROM clients WHERE token_hash = $1`, hash))
}

// GetClient loads a client by id.
func (db *DB) GetClient(ctx context.Context, id string) (Client, error) {
	return collectClient(db.Pool.Query(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
}

func lockClient(ctx context.Context, tx pgx.Tx, id string) (Client, error) {
	return collectClient(tx.Query(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1 FOR UPDATE`, id))
}

func writeClient(ctx context.Context, tx pgx.Tx, c Client) error {
	_, err := tx.Exec(ctx, `UPDATE clients SET last_active_session_id=$2, last_authentication_strategy=$3,
		sign_in_id=$4, sign_up_id=$5, updated_at=$6, expires_at=$7 WHERE id=$1`,
		c.ID, c.LastActiveSessionID, c.LastAuthenticationStrategy, c.SignInID, c.SignUpID, c.UpdatedAt, c.ExpiresAt)
	return err
}

// UpdateClient changes a client under a row lock.
func (db *DB) UpdateClient(ctx context.Context, id string, fn func(*Client) error) (Client, error) {
	var out Client
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		c, err := lockClient(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		out = c
		return writeClient(ctx, tx, c)
	})
	return out, err
}

// DeleteClient removes a client with its sessions, sign-ins and sign-ups.
func (db *DB) DeleteClient(ctx context.Context, id string) error {
	_, err := db.Pool.Exec(ctx, `DELETE FROM clients WHERE id = $1`, id)
	return mapErr(err)
}
