package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// UserFilter selects users for the list and count endpoints. Every value is
// passed to Postgres as a bind parameter; only column names chosen from a
// fixed set are written into the SQL text.
type UserFilter struct {
	Emails, Phones, Usernames    []string // exact, case-insensitive
	ExternalIDs, ExcludeExternal []string
	UserIDs, ExcludeUserIDs      []string
	Query                        string // partial match on identifiers, names and id
	EmailQuery, PhoneQuery       string
	UsernameQuery, NameQuery     string
	Banned                       *bool
	CreatedBefore, CreatedAfter  *time.Time
	SignInBefore, SignInAfter    *time.Time
	ActiveBefore, ActiveAfter    *time.Time
	OrderColumn                  string // one of OrderColumns
	Descending                   bool
	Limit, Offset                int
	StartingAfter                string // cursor: id of the last user of the previous page
}

// OrderColumns are the columns users can be ordered by.
var OrderColumns = map[string]bool{
	"created_at": true, "updated_at": true, "last_sign_in_at": true, "last_active_at": true,
	"username": true, "first_name": true, "last_name": true,
}

type sqlBuilder struct {
	where []string
	args  []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

func (b *sqlBuilder) add(cond string) { b.where = append(b.where, cond) }

// likeContains escapes LIKE metacharacters so user text matches literally.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

func (f UserFilter) build() *sqlBuilder {
	b := &sqlBuilder{}
	identIn := func(typ string, cond string) string {
		return `u.id IN (SELECT user_id FROM identifications WHERE type = '` + typ + `' AND ` + cond + `)`
	}
	if len(f.Emails) > 0 {
		b.add(identIn(TypeEmail, `lower(identifier) = ANY(`+b.arg(lowerAll(f.Emails))+`)`))
	}
	if len(f.Phones) > 0 {
		b.add(identIn(TypePhone, `identifier = ANY(`+b.arg(f.Phones)+`)`))
	}
	if len(f.Usernames) > 0 {
		b.add(`lower(u.username) = ANY(` + b.arg(lowerAll(f.Usernames)) + `)`)
	}
	if len(f.ExternalIDs) > 0 {
		b.add(`u.external_id = ANY(` + b.arg(f.ExternalIDs) + `)`)
	}
	if len(f.ExcludeExternal) > 0 {
		b.add(`(u.external_id IS NULL OR NOT u.external_id = ANY(` + b.arg(f.ExcludeExternal) + `))`)
	}
	if len(f.UserIDs) > 0 {
		b.add(`u.id = ANY(` + b.arg(f.UserIDs) + `)`)
	}
	if len(f.ExcludeUserIDs) > 0 {
		b.add(`NOT u.id = ANY(` + b.arg(f.ExcludeUserIDs) + `)`)
	}
	if f.Query != "" {
		p := b.arg(likeContains(f.Query))
		b.add(`(u.id IN (SELECT user_id FROM identifications WHERE lower(identifier) LIKE ` + p + `)
			OR lower(u.username) LIKE ` + p + ` OR lower(u.first_name) LIKE ` + p + `
			OR lower(u.last_name) LIKE ` + p + ` OR lower(u.id) LIKE ` + p + `
			OR lower(coalesce(u.first_name,'') || ' ' || coalesce(u.last_name,'')) LIKE ` + p + `)`)
	}
	if f.EmailQuery != "" {
		b.add(identIn(TypeEmail, `lower(identifier) LIKE `+b.arg(likeContains(f.EmailQuery))))
	}
	if f.PhoneQuery != "" {
		b.add(identIn(TypePhone, `lower(identifier) LIKE `+b.arg(likeContains(f.PhoneQuery))))
	}
	if f.UsernameQuery != "" {
		b.add(`lower(u.username) LIKE ` + b.arg(likeContains(f.UsernameQuery)))
	}
	if f.NameQuery != "" {
		b.add(`lower(coalesce(u.first_name,'') || ' ' || coalesce(u.last_name,'')) LIKE ` + b.arg(likeContains(f.NameQuery)))
	}
	if f.Banned != nil {
		b.add(`u.banned = ` + b.arg(*f.Banned))
	}
	timeCond := func(col string, before, after *time.Time) {
		if before != nil {
			b.add(`u.` + col + ` < ` + b.arg(*before))
		}
		if after != nil {
			b.add(`u.` + col + ` > ` + b.arg(*after))
		}
	}
	timeCond("created_at", f.CreatedBefore, f.CreatedAfter)
	timeCond("last_sign_in_at", f.SignInBefore, f.SignInAfter)
	timeCond("last_active_at", f.ActiveBefore, f.ActiveAfter)
	return b
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}

// ListUsers returns one page of users matching f, with identifications.
func (db *DB) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	b := f.build()
	col := f.OrderColumn
	if !OrderColumns[col] {
		col = "created_at"
	}
	dir, cmp := "ASC", ">"
	if f.Descending {
		dir, cmp = "DESC", "<"
	}
	if f.StartingAfter != "" {
		// Keyset pagination on (created_at, id): a page costs the same wherever it is.
		b.add(`(u.created_at, u.id) ` + cmp + ` (SELECT created_at, id FROM users WHERE id = ` + b.arg(f.StartingAfter) + `)`)
	}
	where := ""
	if len(b.where) > 0 {
		where = " WHERE " + strings.Join(b.where, " AND ")
	}
	nulls := " NULLS LAST"
	sql := `SELECT ` + userColumns + `, ` + mfaColumns("u") + ` FROM users u` + where + ` ORDER BY u.` + col + ` ` + dir + nulls + `, u.id ` + dir +
		` LIMIT ` + b.arg(f.Limit) + ` OFFSET ` + b.arg(f.Offset)
	rows, err := db.Pool.Query(ctx, sql, b.args...)
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
	if err := attachIdentifications(ctx, db.Pool, byID); err != nil {
		return nil, err
	}
	if err := attachPasskeys(ctx, db.Pool, byID); err != nil {
		return nil, err
	}
	return users, attachExternalAccounts(ctx, db.Pool, byID)
}

// CountUsers counts users matching f, ignoring paging and order.
func (db *DB) CountUsers(ctx context.Context, f UserFilter) (int64, error) {
	b := f.build()
	where := ""
	if len(b.where) > 0 {
		where = " WHERE " + strings.Join(b.where, " AND ")
	}
	var n int64
	err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM users u`+where, b.args...).Scan(&n)
	return n, mapErr(err)
}
