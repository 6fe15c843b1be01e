package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

func insertIdentification(ctx context.Context, tx pgx.Tx, i Identification) error {
	if err := releaseClaims(ctx, tx, i); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO identifications (`+identColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		i.ID, i.UserID, i.Type, i.Identifier, i.Verified, i.VerificationStrategy, i.Reserved,
		i.ReservedForSecondFactor, i.DefaultSecondFactor, i.Claim, i.CreatedAt, i.UpdatedAt)
	return err
}

// ClaimTTL is how long an identifier a user added but has not proven holds
// it against another account's claim.
const ClaimTTL = 10 * time.Minute

// releaseClaims makes room for identification i. An identifier another
// account added and has not proven is only a claim (anyone can type a
// stranger's number or public address): i takes it when i is real (proven,
// or the operator's), and when i is itself a claim, once the old one has
// gone unproven past ClaimTTL. So nobody can hold an identifier hostage by
// adding it to their own account.
func releaseClaims(ctx context.Context, tx pgx.Tx, i Identification) error {
	_, err := tx.Exec(ctx, `DELETE FROM identifications WHERE type = $1 AND lower(identifier) = lower($2)
		AND claim AND user_id <> $3 AND (NOT $4 OR created_at < $5)`,
		i.Type, i.Identifier, i.UserID, i.Claim, i.CreatedAt.Add(-ClaimTTL))
	return err
}

func writeIdentification(ctx context.Context, tx pgx.Tx, i Identification) error {
	if i.Verified {
		i.Claim = false // proven: an ordinary identification
	}
	_, err := tx.Exec(ctx, `UPDATE identifications SET verified=$2, verification_strategy=$3, reserved=$4,
		reserved_for_second_factor=$5, default_second_factor=$6, claim=$7, updated_at=$8 WHERE id=$1`,
		i.ID, i.Verified, i.VerificationStrategy, i.Reserved, i.ReservedForSecondFactor,
		i.DefaultSecondFactor, i.Claim, i.UpdatedAt)
	return err
}

// GetIdentification loads one email address or phone number.
func (db *DB) GetIdentification(ctx context.Context, id string) (Identification, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+identColumns+` FROM identifications WHERE id = $1`, id)
	if err != nil {
		return Identification{}, mapErr(err)
	}
	i, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Identification])
	return i, mapErr(err)
}

// ownerOf finds the user owning an identification.
func ownerOf(ctx context.Context, tx pgx.Tx, identID string) (string, error) {
	var uid string
	err := tx.QueryRow(ctx, `SELECT user_id FROM identifications WHERE id = $1`, identID).Scan(&uid)
	return uid, mapErr(err)
}

// AddIdentification locks the user, asks fn for the new identification (fn
// may also change the user, e.g. make it primary), and stores both.
func (db *DB) AddIdentification(ctx context.Context, userID string, fn func(*User) (Identification, error)) (Identification, error) {
	var out Identification
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		u, err := db.lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		idn, err := fn(&u)
		if err != nil {
			return err
		}
		if err := insertIdentification(ctx, tx, idn); err != nil {
			return err
		}
		out = idn
		return writeUser(ctx, tx, u)
	})
	return out, err
}

// UpdateIdentification locks the owning user and lets fn change the
// identification and the user together.
func (db *DB) UpdateIdentification(ctx context.Context, identID string, fn func(*User, *Identification) error) (Identification, error) {
	var out Identification
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		u, idn, err := db.lockOwner(ctx, tx, identID)
		if err != nil {
			return err
		}
		if err := fn(&u, idn); err != nil {
			return err
		}
		if err := writeIdentification(ctx, tx, *idn); err != nil {
			return err
		}
		out = *idn
		if err := pruneOrphanBackupCodes(ctx, tx, u, ""); err != nil {
			return err
		}
		return writeUser(ctx, tx, u)
	})
	return out, err
}

// DeleteIdentification locks the owning user, lets fn check the rules (and
// adjust the user), then deletes the identification.
func (db *DB) DeleteIdentification(ctx context.Context, identID string, fn func(*User, Identification) error) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		u, idn, err := db.lockOwner(ctx, tx, identID)
		if err != nil {
			return err
		}
		if err := fn(&u, *idn); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM identifications WHERE id = $1`, identID); err != nil {
			return err
		}
		if err := pruneOrphanBackupCodes(ctx, tx, u, identID); err != nil {
			return err
		}
		return writeUser(ctx, tx, u)
	})
}

// pruneOrphanBackupCodes deletes the backup codes of a user whose numbers
// changed (gone is an identification being deleted) when no second factor
// is left for them to stand in for: no authenticator app and no verified
// number reserved for texted codes. Otherwise backup_code_enabled (and
// two_factor_enabled) would claim a second factor no sign-in asks for.
func pruneOrphanBackupCodes(ctx context.Context, tx pgx.Tx, u User, gone string) error {
	if !u.BackupCodeEnabled || u.TOTPEnabled {
		return nil
	}
	for _, i := range u.Identifications {
		if i.ID != gone && i.Type == TypePhone && i.Verified && i.ReservedForSecondFactor {
			return nil
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM backup_codes WHERE user_id = $1`, u.ID)
	return err
}

func (db *DB) lockUser(ctx context.Context, tx pgx.Tx, userID string) (User, error) {
	users, err := db.usersByID(ctx, tx, []string{userID}, true)
	if err != nil {
		return User{}, err
	}
	if len(users) == 0 {
		return User{}, ErrNotFound
	}
	return users[0], nil
}

// lockOwner locks the user owning identID and returns a pointer into the
// user's own identification list.
func (db *DB) lockOwner(ctx context.Context, tx pgx.Tx, identID string) (User, *Identification, error) {
	uid, err := ownerOf(ctx, tx, identID)
	if err != nil {
		return User{}, nil, err
	}
	u, err := db.lockUser(ctx, tx, uid)
	if err != nil {
		return User{}, nil, err
	}
	for i := range u.Identifications {
		if u.Identifications[i].ID == identID {
			return u, &u.Identifications[i], nil
		}
	}
	return User{}, nil, ErrNotFound // deleted between the two reads
}
