package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// OAuthCode is a stored authorization code (by hash).
type OAuthCode struct {
	CodeHash      []byte     `db:"code_hash"`
	ApplicationID string     `db:"application_id"`
	UserID        string     `db:"user_id"`
	SessionID     *string    `db:"session_id"`
	RedirectURI   string     `db:"redirect_uri"`
	Scopes        string     `db:"scopes"`
	Nonce         *string    `db:"nonce"`
	CodeChallenge *string    `db:"code_challenge"`
	AuthTime      time.Time  `db:"auth_time"`
	ExpiresAt     time.Time  `db:"expires_at"`
	UsedAt        *time.Time `db:"used_at"`
	GrantID       *string    `db:"grant_id"`
}

const codeColumns = `code_hash, application_id, user_id, session_id, redirect_uri, scopes, nonce, code_challenge,
	auth_time, expires_at, used_at, grant_id`

// InsertOAuthCode stores a new code: the one write of /oauth/authorize.
func (db *DB) InsertOAuthCode(ctx context.Context, c OAuthCode) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_codes (`+codeColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		c.CodeHash, c.ApplicationID, c.UserID, c.SessionID, c.RedirectURI, c.Scopes, c.Nonce, c.CodeChallenge,
		c.AuthTime, c.ExpiresAt, c.UsedAt, c.GrantID)
	return mapErr(err)
}

// ErrCodeReused means a code was presented after it had been redeemed.
var ErrCodeReused = errors.New("store: authorization code reused")

// Redemption is what redeeming a code creates. The refresh token is stored
// only when the code's scopes include offline_access.
type Redemption struct {
	GrantID          string
	RefreshTokenHash []byte // nil: no refresh token (no offline_access)
	RefreshExpiresAt time.Time
	Now              time.Time
}

// RedeemOAuthCode marks a code used and creates its grant (and refresh
// token) in one statement, so of any number of concurrent redemptions
// exactly one succeeds; the same statement returns the code's user with its
// identifications, for the tokens. A code already used returns ErrCodeReused
// after its grant is revoked: the tokens it produced may be in an attacker's
// hands.
func (db *DB) RedeemOAuthCode(ctx context.Context, codeHash []byte, r Redemption) (OAuthCode, User, error) {
	rows, err := db.Pool.Query(ctx, `
		WITH c AS (
			UPDATE oauth_codes SET used_at = $2, grant_id = $3
			WHERE code_hash = $1 AND used_at IS NULL
			RETURNING `+codeColumns+`
		), g AS (
			INSERT INTO oauth_grants (id, application_id, user_id, scopes, auth_time, created_at)
			SELECT $3, application_id, user_id, scopes, auth_time, $2 FROM c
		), rt AS (
			INSERT INTO oauth_refresh_tokens (token_hash, grant_id, application_id, user_id, scopes, created_at, expires_at)
			SELECT $4, $3, application_id, user_id, scopes, $2, $5 FROM c
			WHERE $4::bytea IS NOT NULL AND ' ' || scopes || ' ' LIKE '% offline_access %'
		)
		SELECT c.*, `+qualified("users", userColumns)+`, `+mfaColumns("users")+`,
			coalesce((SELECT json_agg(row_to_json(i) ORDER BY i.created_at, i.id) FROM identifications i WHERE i.user_id = users.id), '[]') AS idents,
			`+userPasskeysAgg+`
		FROM c JOIN users ON users.id = c.user_id`, codeHash, r.Now, r.GrantID, r.RefreshTokenHash, r.RefreshExpiresAt)
	if err != nil {
		return OAuthCode{}, User{}, mapErr(err)
	}
	type row struct {
		OAuthCode
		userRow
	}
	got, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	if err == nil {
		u, err := got.userRow.decode()
		return got.OAuthCode, u, err
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return OAuthCode{}, User{}, mapErr(err)
	}
	// Unknown or already used: a reuse revokes what the first redemption produced.
	var grant *string
	qerr := db.Pool.QueryRow(ctx, `SELECT grant_id FROM oauth_codes WHERE code_hash = $1`, codeHash).Scan(&grant)
	if errors.Is(qerr, pgx.ErrNoRows) {
		return OAuthCode{}, User{}, ErrNotFound
	}
	if qerr != nil {
		return OAuthCode{}, User{}, mapErr(qerr)
	}
	if grant != nil {
		if err := db.RevokeGrant(ctx, *grant, r.Now); err != nil {
			return OAuthCode{}, User{}, err
		}
	}
	return OAuthCode{}, User{}, ErrCodeReused
}

// RevokeGrant revokes a grant: its refresh tokens stop working, and access
// tokens carrying its id fail introspection and userinfo.
func (db *DB) RevokeGrant(ctx context.Context, grantID string, at time.Time) error {
	_, err := db.Pool.Exec(ctx, `UPDATE oauth_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, grantID, at)
	return mapErr(err)
}

// RefreshToken is a stored refresh token (by hash) with its grant's state.
type RefreshToken struct {
	TokenHash     []byte     `db:"token_hash"`
	GrantID       string     `db:"grant_id"`
	ApplicationID string     `db:"application_id"`
	UserID        *string    `db:"user_id"`
	Scopes        string     `db:"scopes"`
	CreatedAt     time.Time  `db:"created_at"`
	ExpiresAt     time.Time  `db:"expires_at"`
	UsedAt        *time.Time `db:"used_at"`
	AuthTime      *time.Time `db:"auth_time"`
	GrantRevoked  bool       `db:"grant_revoked"`
}

// Rotation is one refresh-token use: the presented token (by hash), the
// application presenting it, its successor, and the scopes asked for ("" keeps
// the granted ones).
type Rotation struct {
	Hash, NewHash []byte
	ApplicationID string
	Scopes        string
	Now, Expires  time.Time
}

// RotateRefreshToken spends a refresh token, stores its successor and loads
// the token's user with identifications, all in one statement: a refresh
// costs one round trip. ok is false, and nothing is written, when the token
// cannot be spent as asked (unknown, another application's, already used,
// expired, its grant revoked, or scopes beyond the grant); the caller then
// reads the token to tell the client which.
func (db *DB) RotateRefreshToken(ctx context.Context, r Rotation) (rt RefreshToken, u User, ok bool, err error) {
	rows, err := db.Pool.Query(ctx, `
		WITH old AS (
			UPDATE oauth_refresh_tokens t SET used_at = $3, successor_hash = $2
			FROM oauth_grants g
			WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $3
			  AND t.application_id = $6 AND t.user_id IS NOT NULL
			  AND g.id = t.grant_id AND g.revoked_at IS NULL
			  AND string_to_array($4::text, ' ') <@ string_to_array(t.scopes, ' ')
			RETURNING t.grant_id, t.user_id, t.scopes, g.auth_time
		), ins AS (
			INSERT INTO oauth_refresh_tokens (token_hash, grant_id, application_id, user_id, scopes, created_at, expires_at)
			SELECT $2, grant_id, $6, user_id, coalesce(nullif($4::text, ''), scopes), $3, $5 FROM old
		)
		SELECT old.grant_id AS rt_grant_id, old.scopes AS rt_scopes, old.auth_time AS rt_auth_time,
			`+qualified("users", userColumns)+`, `+mfaColumns("users")+`,
			coalesce((SELECT json_agg(row_to_json(i) ORDER BY i.created_at, i.id) FROM identifications i WHERE i.user_id = users.id), '[]') AS idents,
			`+userPasskeysAgg+`
		FROM old JOIN users ON users.id = old.user_id`,
		r.Hash, r.NewHash, r.Now, r.Scopes, r.Expires, r.ApplicationID)
	if err != nil {
		return RefreshToken{}, User{}, false, mapErr(err)
	}
	type row struct {
		GrantID  string     `db:"rt_grant_id"`
		Scopes   string     `db:"rt_scopes"`
		AuthTime *time.Time `db:"rt_auth_time"`
		userRow
	}
	got, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	if errors.Is(err, pgx.ErrNoRows) {
		return RefreshToken{}, User{}, false, nil
	}
	if err != nil {
		return RefreshToken{}, User{}, false, mapErr(err)
	}
	if u, err = got.userRow.decode(); err != nil {
		return RefreshToken{}, User{}, false, err
	}
	usedAt := r.Now
	return RefreshToken{TokenHash: r.Hash, GrantID: got.GrantID, ApplicationID: r.ApplicationID, UserID: &u.ID,
		Scopes: got.Scopes, UsedAt: &usedAt, AuthTime: got.AuthTime}, u, true, nil
}

// RefreshTokenByHash reads a refresh token with its grant state.
func (db *DB) RefreshTokenByHash(ctx context.Context, hash []byte) (RefreshToken, error) {
	rows, err := db.Pool.Query(ctx, `SELECT t.token_hash, t.grant_id, t.application_id, t.user_id, t.scopes,
		t.created_at, t.expires_at, t.used_at, g.auth_time, (g.revoked_at IS NOT NULL) AS grant_revoked
		FROM oauth_refresh_tokens t JOIN oauth_grants g ON g.id = t.grant_id WHERE t.token_hash = $1`, hash)
	if err != nil {
		return RefreshToken{}, mapErr(err)
	}
	rt, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[RefreshToken])
	return rt, mapErr(err)
}

// InsertRefreshToken adds a token to an existing grant (the grace path of
// concurrent refreshes).
func (db *DB) InsertRefreshToken(ctx context.Context, rt RefreshToken) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_refresh_tokens (token_hash, grant_id, application_id, user_id, scopes, created_at, expires_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, rt.TokenHash, rt.GrantID, rt.ApplicationID, rt.UserID, rt.Scopes, rt.CreatedAt, rt.ExpiresAt)
	return mapErr(err)
}

// TokenRevoked reports, in one indexed round trip, whether a JWT access
// token is no longer good: revoked by its jti, its application deleted, or
// (for a token with a grant) its grant revoked or gone — deleting an
// application or a user deletes their grants, and a missing grant must not
// read as a live one.
func (db *DB) TokenRevoked(ctx context.Context, jti, grantID, clientID string) (bool, error) {
	var revoked bool
	err := db.Pool.QueryRow(ctx, `SELECT `+tokenRevokedExpr, jti, grantID, clientID).Scan(&revoked)
	return revoked, mapErr(err)
}

// tokenRevokedExpr is the revocation test on parameters $1 (jti), $2 (grant
// id, ” for none) and $3 (client id).
const tokenRevokedExpr = `(EXISTS (SELECT 1 FROM oauth_revoked_jtis WHERE jti = $1)
		OR NOT EXISTS (SELECT 1 FROM oauth_applications WHERE client_id = $3)
		OR ($2 <> '' AND NOT EXISTS (SELECT 1 FROM oauth_grants WHERE id = $2 AND revoked_at IS NULL)))`

// UserForAccessToken loads a token's user with its identifications and, in
// the same round trip, whether the token is revoked: userinfo's one read.
func (db *DB) UserForAccessToken(ctx context.Context, userID, jti, grantID, clientID string) (User, bool, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+userColumns+`, `+mfaColumns("users")+`,
		coalesce((SELECT json_agg(row_to_json(i) ORDER BY i.created_at, i.id) FROM identifications i WHERE i.user_id = users.id), '[]') AS idents,
		`+userPasskeysAgg+`,
		`+tokenRevokedExpr+` AS revoked
		FROM users WHERE id = $4`, jti, grantID, clientID, userID)
	if err != nil {
		return User{}, false, mapErr(err)
	}
	type row struct {
		userRow
		Revoked bool `db:"revoked"`
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	if err != nil {
		return User{}, false, mapErr(err)
	}
	u, err := r.userRow.decode()
	return u, r.Revoked, err
}

// RevokeJTI records a revoked JWT access token until its expiry.
func (db *DB) RevokeJTI(ctx context.Context, jti string, expires time.Time) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_revoked_jtis (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, jti, expires)
	return mapErr(err)
}

// OpaqueAccessToken is a stored opaque access token (by hash).
type OpaqueAccessToken struct {
	TokenHash     []byte    `db:"token_hash"`
	JTI           string    `db:"jti"`
	GrantID       *string   `db:"grant_id"`
	ApplicationID string    `db:"application_id"`
	ClientID      string    `db:"client_id"`
	UserID        *string   `db:"user_id"`
	Scopes        string    `db:"scopes"`
	CreatedAt     time.Time `db:"created_at"`
	ExpiresAt     time.Time `db:"expires_at"`
}

// InsertOpaqueAccessToken stores an opaque access token's hash.
func (db *DB) InsertOpaqueAccessToken(ctx context.Context, t OpaqueAccessToken) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_access_tokens (token_hash, jti, grant_id, application_id, user_id, scopes, created_at, expires_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, t.TokenHash, t.JTI, t.GrantID, t.ApplicationID, t.UserID, t.Scopes, t.CreatedAt, t.ExpiresAt)
	return mapErr(err)
}

// LiveOpaqueAccessToken finds an opaque token that is still good — not
// revoked by jti, its application present, its grant (if any) live — in one
// indexed round trip. ErrNotFound covers every other case.
func (db *DB) LiveOpaqueAccessToken(ctx context.Context, hash []byte, now time.Time) (OpaqueAccessToken, error) {
	rows, err := db.Pool.Query(ctx, `SELECT t.token_hash, t.jti, t.grant_id, t.application_id, a.client_id, t.user_id,
			t.scopes, t.created_at, t.expires_at
		FROM oauth_access_tokens t JOIN oauth_applications a ON a.id = t.application_id
		WHERE t.token_hash = $1 AND t.expires_at > $2
		  AND NOT EXISTS (SELECT 1 FROM oauth_revoked_jtis r WHERE r.jti = t.jti)
		  AND (t.grant_id IS NULL OR EXISTS (SELECT 1 FROM oauth_grants g WHERE g.id = t.grant_id AND g.revoked_at IS NULL))`, hash, now)
	if err != nil {
		return OpaqueAccessToken{}, mapErr(err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[OpaqueAccessToken])
	return t, mapErr(err)
}

// AppWithTokenState loads an application by client_id together with the
// revocation state of one of its JWT access tokens: introspection's one read.
func (db *DB) AppWithTokenState(ctx context.Context, clientID, jti, grantID string) (OAuthApp, bool, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+oauthAppColumns+`, `+tokenRevokedExpr+` AS revoked
		FROM oauth_applications WHERE client_id = $3`, jti, grantID, clientID)
	if err != nil {
		return OAuthApp{}, false, mapErr(err)
	}
	type row struct {
		OAuthApp
		Revoked bool `db:"revoked"`
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	if err != nil {
		return OAuthApp{}, false, mapErr(err)
	}
	return r.OAuthApp, r.Revoked, nil
}
