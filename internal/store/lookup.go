package store

import (
	"context"
)

// UserIDByIdentifier finds the user owning an email address or phone number
// (typ TypeEmail/TypePhone, compared case-insensitively) or a username
// (typ "username"). It returns ErrNotFound when nobody has it.
func (db *DB) UserIDByIdentifier(ctx context.Context, typ, value string) (string, error) {
	var id string
	var err error
	if typ == "username" {
		err = db.Pool.QueryRow(ctx, `SELECT id FROM users WHERE lower(username) = lower($1)`, value).Scan(&id)
	} else {
		// A claim (added by a user, not yet proven) names nobody.
		err = db.Pool.QueryRow(ctx, `SELECT user_id FROM identifications WHERE type = $1 AND lower(identifier) = lower($2)
			AND NOT claim`, typ, value).Scan(&id)
	}
	return id, mapErr(err)
}
