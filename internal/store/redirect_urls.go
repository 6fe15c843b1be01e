package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// RedirectURL is an allowlisted redirect URL for native apps (table
// redirect_urls), such as myapp://callback.
type RedirectURL struct {
	ID        string    `db:"id"`
	URL       string    `db:"url"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

const redirectURLColumns = `id, url, created_at, updated_at`

// InsertRedirectURL stores a new allowlisted URL; a URL already present is a
// *UniqueViolation on redirect_urls_url_key.
func (db *DB) InsertRedirectURL(ctx context.Context, u RedirectURL) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO redirect_urls (`+redirectURLColumns+`) VALUES ($1, $2, $3, $4)`,
		u.ID, u.URL, u.CreatedAt, u.UpdatedAt)
	return mapErr(err)
}

// GetRedirectURL loads one by id.
func (db *DB) GetRedirectURL(ctx context.Context, id string) (RedirectURL, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+redirectURLColumns+` FROM redirect_urls WHERE id = $1`, id)
	if err != nil {
		return RedirectURL{}, mapErr(err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[RedirectURL])
	return u, mapErr(err)
}

// ListRedirectURLs lists a page of allowlisted URLs, newest first, with the
// total count.
func (db *DB) ListRedirectURLs(ctx context.Context, limit, offset int) ([]RedirectURL, int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+redirectURLColumns+`, count(*) OVER () AS total FROM redirect_urls
		ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	type row struct {
		RedirectURL
		Total int64 `db:"total"`
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[row])
	if err != nil {
		return nil, 0, mapErr(err)
	}
	out := make([]RedirectURL, len(list))
	for i, r := range list {
		out[i] = r.RedirectURL
	}
	if len(list) > 0 || offset == 0 {
		var total int64
		if len(list) > 0 {
			total = list[0].Total
		}
		return out, total, nil
	}
	// An offset past the end returns no row to carry the count.
	var total int64
	err = db.Pool.QueryRow(ctx, `SELECT count(*) FROM redirect_urls`).Scan(&total)
	return out, total, mapErr(err)
}

// DeleteRedirectURL removes one by id (ErrNotFound if there is none).
func (db *DB) DeleteRedirectURL(ctx context.Context, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM redirect_urls WHERE id = $1`, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// RedirectURLAllowlisted reports whether url is on the allowlist, compared
// byte for byte (no normalisation: what was allowlisted is what may be used).
func (db *DB) RedirectURLAllowlisted(ctx context.Context, url string) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM redirect_urls WHERE url = $1)`, url).Scan(&ok)
	return ok, mapErr(err)
}
