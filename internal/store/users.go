package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is a user row with its email addresses and phone numbers.
type User struct {
	ID                         string          `db:"id"`
	ExternalID                 *string         `db:"external_id"`
	Username                   *string         `db:"username"`
	FirstName                  *string         `db:"first_name"`
	LastName                   *string         `db:"last_name"`
	Locale                     *string         `db:"locale"`
	PasswordDigest             *string         `db:"password_digest"`
	PasswordHasher             *string         `db:"password_hasher"`
	PasswordUpdatedAt          *time.Time      `db:"password_updated_at"`
	PublicMetadata             json.RawMessage `db:"public_metadata"`
	PrivateMetadata            json.RawMessage `db:"private_metadata"`
	UnsafeMetadata             json.RawMessage `db:"unsafe_metadata"`
	PrimaryEmailAddressID      *string         `db:"primary_email_address_id"`
	PrimaryPhoneNumberID       *string         `db:"primary_phone_number_id"`
	Banned                     bool            `db:"banned"`
	LockedAt                   *time.Time      `db:"locked_at"`
	LockoutUntil               *time.Time      `db:"lockout_until"`
	FailedVerificationAttempts int             `db:"failed_verification_attempts"`
	DeleteSelfEnabled          bool            `db:"delete_self_enabled"`
	CreateOrganizationEnabled  bool            `db:"create_organization_enabled"`
	CreateOrganizationsLimit   *int            `db:"create_organizations_limit"`
	LastSignInAt               *time.Time      `db:"last_sign_in_at"`
	LastActiveAt               *time.Time      `db:"last_active_at"`
	LegalAcceptedAt            *time.Time      `db:"legal_accepted_at"`
	CreatedAt                  time.Time       `db:"created_at"`
	UpdatedAt                  time.Time       `db:"updated_at"`

	// Second-factor state, derived on read from the MFA tables (mfa.go);
	// never written back.
	TOTPEnabled       bool       `db:"totp_enabled"`
	BackupCodeEnabled bool       `db:"backup_code_enabled"`
	TOTPVerifiedAt    *time.Time `db:"totp_verified_at"`

	Identifications []Identification `db:"-"`
	Passkeys        []Passkey        `db:"-"` // verified only, without their credential
	// ExternalAccounts are loaded with the user (GetUser, lists) for presenting.
	ExternalAccounts []ExternalAccount `db:"-"`
}

// Identification types.
const (
	TypeEmail = "email_address"
	TypePhone = "phone_number"
	// TypeWallet is an Ethereum wallet (identity.KindWallet).
	TypeWallet = "web3_wallet"
)

// Identification is an email address or phone number of a user.
type Identification struct {
	ID                      string  `db:"id" json:"id"`
	UserID                  string  `db:"user_id" json:"user_id"`
	Type                    string  `db:"type" json:"type"`
	Identifier              string  `db:"identifier" json:"identifier"`
	Verified                bool    `db:"verified" json:"verified"`
	VerificationStrategy    *string `db:"verification_strategy" json:"verification_strategy"`
	Reserved                bool    `db:"reserved" json:"reserved"`
	ReservedForSecondFactor bool    `db:"reserved_for_second_factor" json:"reserved_for_second_factor"`
	DefaultSecondFactor     bool    `db:"default_second_factor" json:"default_second_factor"`
	// Claim marks an identifier the user added and has not proven (see
	// releaseClaims): it names nobody until proven.
	Claim     bool      `db:"claim" json:"claim"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

const userColumns = `id, external_id, username, first_name, last_name, locale, password_digest,
	password_hasher, password_updated_at, public_metadata, private_metadata, unsafe_metadata,
	primary_email_address_id, primary_phone_number_id, banned, locked_at, lockout_until,
	failed_verification_attempts, delete_self_enabled, create_organization_enabled,
	create_organizations_limit, last_sign_in_at, last_active_at, legal_accepted_at, created_at, updated_at`

const identColumns = `id, user_id, type, identifier, verified, verification_strategy, reserved,
	reserved_for_second_factor, default_second_factor, claim, created_at, updated_at`

// CreateUser inserts a user and its identifications in one transaction.
// then, if given, writes more of the new user (imported second factors) in
// the same transaction.
func (db *DB) CreateUser(ctx context.Context, u User, then ...func(*Tx) error) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		for _, idn := range u.Identifications {
			if err := insertIdentification(ctx, tx, idn); err != nil {
				return err
			}
		}
		for _, fn := range then {
			if err := fn(&Tx{ctx: ctx, tx: tx, db: db}); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertUser(ctx context.Context, tx pgx.Tx, u User) error {
	_, err := tx.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES
		($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26)`,
		u.ID, u.ExternalID, u.Username, u.FirstName, u.LastName, u.Locale, u.PasswordDigest,
		u.PasswordHasher, u.PasswordUpdatedAt, u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata,
		u.PrimaryEmailAddressID, u.PrimaryPhoneNumberID, u.Banned, u.LockedAt, u.LockoutUntil,
		u.FailedVerificationAttempts, u.DeleteSelfEnabled, u.CreateOrganizationEnabled,
		u.CreateOrganizationsLimit, u.LastSignInAt, u.LastActiveAt, u.LegalAcceptedAt, u.CreatedAt, u.UpdatedAt)
	return err
}

func writeUser(ctx context.Context, tx pgx.Tx, u User) error {
	_, err := tx.Exec(ctx, `UPDATE users SET external_id=$2, username=$3, first_name=$4, last_name=$5,
		locale=$6, password_digest=$7, password_hasher=$8, password_updated_at=$9, public_metadata=$10,
		private_metadata=$11, unsafe_metadata=$12, primary_email_address_id=$13, primary_phone_number_id=$14,
		banned=$15, locked_at=$16, lockout_until=$17, failed_verification_attempts=$18,
		delete_self_enabled=$19, create_organization_enabled=$20, create_organizations_limit=$21,
		last_sign_in_at=$22, last_active_at=$23, legal_accepted_at=$24, created_at=$25, updated_at=$26
		WHERE id=$1`,
		u.ID, u.ExternalID, u.Username, u.FirstName, u.LastName, u.Locale, u.PasswordDigest,
		u.PasswordHasher, u.PasswordUpdatedAt, u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata,
		u.PrimaryEmailAddressID, u.PrimaryPhoneNumberID, u.Banned, u.LockedAt, u.LockoutUntil,
		u.FailedVerificationAttempts, u.DeleteSelfEnabled, u.CreateOrganizationEnabled,
		u.CreateOrganizationsLimit, u.LastSignInAt, u.LastActiveAt, u.LegalAcceptedAt, u.CreatedAt, u.UpdatedAt)
	return err
}

// userRow is a user with its identifications aggregated as JSON, so one
// round trip loads both.
type userRow struct {
	User
	Idents []byte `db:"idents"`
	Pks    []byte `db:"pks"`
}

// userWithExternalsRow adds the external accounts (without tokens), which
// GetUser loads for presenting; the OAuth provider's hot paths use userRow.
type userWithExternalsRow struct {
	userRow
	Externals []byte `db:"externals"`
}

// GetUser loads a user with its identifications in one round trip: it sits
// on the hot paths of userinfo, token issuance and every page.
func (db *DB) GetUser(ctx context.Context, id string) (User, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+userColumns+`, `+mfaColumns("users")+`,
		coalesce((SELECT json_agg(row_to_json(i) ORDER BY i.created_at, i.id) FROM identifications i WHERE i.user_id = users.id), '[]') AS idents,
		`+userPasskeysAgg+`,
		`+externalAccountsJSON+` AS externals
		FROM users WHERE id = $1`, id)
	if err != nil {
		return User{}, mapErr(err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[userWithExternalsRow])
	if err != nil {
		return User{}, mapErr(err)
	}
	u, err := r.decode()
	if err != nil {
		return User{}, err
	}
	if u.ExternalAccounts, err = decodeExternalAccounts(r.Externals); err != nil {
		return User{}, err
	}
	return u, nil
}

func (r userRow) decode() (User, error) {
	u := r.User
	if err := json.Unmarshal(r.Idents, &u.Identifications); err != nil {
		return User{}, fmt.Errorf("store: decode identifications: %w", err)
	}
	if len(u.Identifications) == 0 {
		u.Identifications = nil
	}
	if err := json.Unmarshal(r.Pks, &u.Passkeys); err != nil {
		return User{}, fmt.Errorf("store: decode passkeys: %w", err)
	}
	if len(u.Passkeys) == 0 {
		u.Passkeys = nil
	}
	return u, nil
}

// UpdateUser loads the user under a row lock, lets fn change it, and writes
// it back in the same transaction: a compare-and-swap without lost updates.
// fn may return an error to abort without writing.
// then, if given, writes more of the user (imported second factors) in the
// same transaction, after fn.
func (db *DB) UpdateUser(ctx context.Context, id string, fn func(*User) error, then ...func(*Tx) error) (User, error) {
	var out User
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		users, err := db.usersByID(ctx, tx, []string{id}, true)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			return ErrNotFound
		}
		u := users[0]
		if err := fn(&u); err != nil {
			return err
		}
		if err := writeUser(ctx, tx, u); err != nil {
			return err
		}
		for _, fn := range then {
			if err := fn(&Tx{ctx: ctx, tx: tx, db: db}); err != nil {
				return err
			}
		}
		out = u
		return nil
	})
	return out, err
}

// BanUser bans a user and revokes their active sessions in one
// transaction, so a ban never leaves a session alive.
func (db *DB) BanUser(ctx context.Context, id string, at time.Time) (User, error) {
	var out User
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		u, err := db.lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		u.Banned, u.UpdatedAt = true, at
		if err := writeUser(ctx, tx, u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET status = 'revoked', ended_at = $2, updated_at = $2
			WHERE user_id = $1 AND status = 'active'`, id, at); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

// DeleteUser removes a user and, by cascade, everything it owns.
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// usersByID loads users (in the order of ids) with their identifications.
func (db *DB) usersByID(ctx context.Context, q querier, ids []string, forUpdate bool) ([]User, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := q.Query(ctx, `SELECT `+userColumns+`, `+mfaColumns("users")+` FROM users WHERE id = ANY($1)`+lock, ids)
	if err != nil {
		return nil, mapErr(err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowToStructByName[User])
	if err != nil {
		return nil, mapErr(err)
	}
	byID := make(map[string]*User, len(users))
	for i := range users {
		byID[users[i].ID] = &users[i]
	}
	if err := attachIdentifications(ctx, q, byID); err != nil {
		return nil, err
	}
	if err := attachPasskeys(ctx, q, byID); err != nil {
		return nil, err
	}
	if err := attachExternalAccounts(ctx, q, byID); err != nil {
		return nil, err
	}
	ordered := make([]User, 0, len(users))
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			ordered = append(ordered, *u)
		}
	}
	return ordered, nil
}

func attachIdentifications(ctx context.Context, q querier, byID map[string]*User) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	rows, err := q.Query(ctx, `SELECT `+identColumns+` FROM identifications
		WHERE user_id = ANY($1) ORDER BY created_at, id`, ids)
	if err != nil {
		return mapErr(err)
	}
	idns, err := pgx.CollectRows(rows, pgx.RowToStructByName[Identification])
	if err != nil {
		return mapErr(err)
	}
	for _, idn := range idns {
		u := byID[idn.UserID]
		u.Identifications = append(u.Identifications, idn)
	}
	return nil
}
