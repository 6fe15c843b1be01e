package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tx is one transaction of the sign-in engine. A sign-in or sign-up step
// locks what it reads, changes it, and may create a user, a session and an
// email in the same commit: either all of it happens or none.
type Tx struct {
	ctx context.Context
	tx  pgx.Tx
	db  *DB
}

// Tx runs fn in a transaction (retried on serialization failures).
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) error {
	return db.InTx(ctx, func(tx pgx.Tx) error { return fn(&Tx{ctx: ctx, tx: tx, db: db}) })
}

// Raw exposes the pgx transaction to store helpers that take one.
func (t *Tx) Raw() pgx.Tx { return t.tx }

func (t *Tx) LockClient(id string) (Client, error) { return lockClient(t.ctx, t.tx, id) }
func (t *Tx) SaveClient(c Client) error            { return writeClient(t.ctx, t.tx, c) }

func (t *Tx) InsertSignIn(s SignIn) error          { return insertSignIn(t.ctx, t.tx, s) }
func (t *Tx) LockSignIn(id string) (SignIn, error) { return getSignIn(t.ctx, t.tx, id, true) }
func (t *Tx) SaveSignIn(s SignIn) error            { return writeSignIn(t.ctx, t.tx, s) }

func (t *Tx) InsertSignUp(s SignUp) error          { return insertSignUp(t.ctx, t.tx, s) }
func (t *Tx) LockSignUp(id string) (SignUp, error) { return getSignUp(t.ctx, t.tx, id, true) }
func (t *Tx) SaveSignUp(s SignUp) error            { return writeSignUp(t.ctx, t.tx, s) }

func (t *Tx) InsertVerification(v Verification) error { return insertVerification(t.ctx, t.tx, v) }
func (t *Tx) LockVerification(id string) (Verification, error) {
	return getVerification(t.ctx, t.tx, id, true)
}
func (t *Tx) SaveVerification(v Verification) error { return writeVerification(t.ctx, t.tx, v) }

func (t *Tx) InsertSession(s Session) error { return insertSession(t.ctx, t.tx, s) }
func (t *Tx) ClientSessions(clientID string) ([]Session, error) {
	return collectSessions(t.tx.Query(t.ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE client_id = $1 ORDER BY created_at, id`, clientID))
}

// EndUserSessions revokes or ends every active session of a user except keep.
func (t *Tx) EndUserSessions(userID, keep, status string, at time.Time) error {
	_, err := t.tx.Exec(t.ctx, `UPDATE sessions SET status = $3, ended_at = $4, updated_at = $4
		WHERE user_id = $1 AND id <> $2 AND status = 'active'`, userID, keep, status, at)
	return err
}

// CreateUser inserts a user with its identifications.
func (t *Tx) CreateUser(u User) error {
	if err := insertUser(t.ctx, t.tx, u); err != nil {
		return err
	}
	for _, idn := range u.Identifications {
		if err := insertIdentification(t.ctx, t.tx, idn); err != nil {
			return err
		}
	}
	return nil
}

// LockUser loads a user with identifications under a row lock.
func (t *Tx) LockUser(id string) (User, error) { return t.db.lockUser(t.ctx, t.tx, id) }

// SaveUser writes a user's columns back.
func (t *Tx) SaveUser(u User) error { return writeUser(t.ctx, t.tx, u) }

// SaveIdentification writes an identification's verification state back.
func (t *Tx) SaveIdentification(i Identification) error { return writeIdentification(t.ctx, t.tx, i) }
