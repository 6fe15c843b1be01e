package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// OAuthApp is a third-party client of the OAuth/OIDC provider.
type OAuthApp struct {
	ID                     string    `db:"id"`
	ClientID               string    `db:"client_id"`
	ClientSecretHash       []byte    `db:"client_secret_hash"`
	Name                   string    `db:"name"`
	RedirectURIs           []string  `db:"redirect_uris"`
	PostLogoutRedirectURIs []string  `db:"post_logout_redirect_uris"`
	Scopes                 string    `db:"scopes"`
	Public                 bool      `db:"public"`
	ConsentScreenEnabled   bool      `db:"consent_screen_enabled"`
	PKCERequired           bool      `db:"pkce_required"`
	DynamicallyRegistered  bool      `db:"dynamically_registered"`
	LogoURI                *string   `db:"logo_uri"`
	CreatedAt              time.Time `db:"created_at"`
	UpdatedAt              time.Time `db:"updated_at"`
}

const oauthAppColumns = `id, client_id, client_secret_hash, name, redirect_uris, post_logout_redirect_uris, scopes,
	public, consent_screen_enabled, pkce_required, dynamically_registered, logo_uri, created_at, updated_at`

// InsertOAuthApp stores a new application.
func (db *DB) InsertOAuthApp(ctx context.Context, a OAuthApp) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_applications (`+oauthAppColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		a.ID, a.ClientID, a.ClientSecretHash, a.Name, a.RedirectURIs, a.PostLogoutRedirectURIs, a.Scopes,
		a.Public, a.ConsentScreenEnabled, a.PKCERequired, a.DynamicallyRegistered, a.LogoURI, a.CreatedAt, a.UpdatedAt)
	return mapErr(err)
}

func collectApp(rows pgx.Rows, err error) (OAuthApp, error) {
	if err != nil {
		return OAuthApp{}, mapErr(err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OAuthApp])
	return a, mapErr(err)
}

// GetOAuthApp loads an application by id.
func (db *DB) GetOAuthApp(ctx context.Context, id string) (OAuthApp, error) {
	return collectApp(db.Pool.Query(ctx, `SELECT `+oauthAppColumns+` FROM oauth_applications WHERE id = $1`, id))
}

// OAuthAppByClientID loads an application by its client_id.
func (db *DB) OAuthAppByClientID(ctx context.Context, clientID string) (OAuthApp, error) {
	return collectApp(db.Pool.Query(ctx, `SELECT `+oauthAppColumns+` FROM oauth_applications WHERE client_id = $1`, clientID))
}

// ListOAuthApps lists applications, newest first.
func (db *DB) ListOAuthApps(ctx context.Context, limit, offset int) ([]OAuthApp, int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+oauthAppColumns+` FROM oauth_applications
		ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	apps, err := pgx.CollectRows(rows, pgx.RowToStructByName[OAuthApp])
	if err != nil {
		return nil, 0, mapErr(err)
	}
	var total int64
	err = db.Pool.QueryRow(ctx, `SELECT count(*) FROM oauth_applications`).Scan(&total)
	return apps, total, mapErr(err)
}

// UpdateOAuthApp changes an application under a row lock.
func (db *DB) UpdateOAuthApp(ctx context.Context, id string, fn func(*OAuthApp) error) (OAuthApp, error) {
	var out OAuthApp
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		a, err := collectApp(tx.Query(ctx, `SELECT `+oauthAppColumns+` FROM oauth_applications WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
		out = a
		_, err = tx.Exec(ctx, `UPDATE oauth_applications SET client_secret_hash=$2, name=$3, redirect_uris=$4,
			post_logout_redirect_uris=$5, scopes=$6, public=$7, consent_screen_enabled=$8, pkce_required=$9,
			logo_uri=$10, updated_at=$11 WHERE id=$1`,
			a.ID, a.ClientSecretHash, a.Name, a.RedirectURIs, a.PostLogoutRedirectURIs, a.Scopes, a.Public,
			a.ConsentScreenEnabled, a.PKCERequired, a.LogoURI, a.UpdatedAt)
		return err
	})
	return out, err
}

// DeleteOAuthApp removes an application with its grants, codes and consents.
func (db *DB) DeleteOAuthApp(ctx context.Context, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM oauth_applications WHERE id = $1`, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	_, err = db.Pool.Exec(ctx, `DELETE FROM oauth_refresh_tokens WHERE application_id = $1`, id)
	return mapErr(err)
}

// Consent returns the scopes a user has granted an application ("" if none).
func (db *DB) Consent(ctx context.Context, userID, appID string) (string, error) {
	var scopes string
	err := db.Pool.QueryRow(ctx, `SELECT scopes FROM oauth_consents WHERE user_id=$1 AND application_id=$2`, userID, appID).Scan(&scopes)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	return scopes, mapErr(err)
}

// SaveConsent remembers a user's consent.
func (db *DB) SaveConsent(ctx context.Context, userID, appID, scopes string, at time.Time) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_consents (user_id, application_id, scopes, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$4) ON CONFLICT (user_id, application_id) DO UPDATE SET scopes=$3, updated_at=$4`,
		userID, appID, scopes, at)
	return mapErr(err)
}

// RevokeConsent forgets a consent and revokes every grant the user gave the
// application, in one transaction: the application loses access at once.
func (db *DB) RevokeConsent(ctx context.Context, userID, appID string, at time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oauth_consents WHERE user_id=$1 AND application_id=$2`, userID, appID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE oauth_grants SET revoked_at = $3
			WHERE user_id = $1 AND application_id = $2 AND revoked_at IS NULL`, userID, appID, at)
		return err
	})
}

// ConnectedApp is an application a user has consented to.
type ConnectedApp struct {
	ApplicationID string    `db:"application_id"`
	Name          string    `db:"name"`
	Scopes        string    `db:"scopes"`
	GrantedAt     time.Time `db:"updated_at"`
}

// ConnectedApps lists the applications a user has consented to.
func (db *DB) ConnectedApps(ctx context.Context, userID string) ([]ConnectedApp, error) {
	rows, err := db.Pool.Query(ctx, `SELECT c.application_id, a.name, c.scopes, c.updated_at
		FROM oauth_consents c JOIN oauth_applications a ON a.id = c.application_id
		WHERE c.user_id = $1 ORDER BY c.updated_at DESC`, userID)
	if err != nil {
		return nil, mapErr(err)
	}
	apps, err := pgx.CollectRows(rows, pgx.RowToStructByName[ConnectedApp])
	return apps, mapErr(err)
}
