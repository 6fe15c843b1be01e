package store

import (
	"context"
	"time"
)

// HitRateLimit counts one event for key in the window starting at
// windowStart and returns the window's count so far. It is one upsert, so
// concurrent replicas count together.
func (db *DB) HitRateLimit(ctx context.Context, key string, windowStart time.Time) (int, error) {
	var n int
	err := db.Pool.QueryRow(ctx, `INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
		RETURNING count`, key, windowStart).Scan(&n)
	return n, mapErr(err)
}

// PurgeRateLimits deletes windows that ended before before.
func (db *DB) PurgeRateLimits(ctx context.Context, before time.Time) error {
	_, err := db.Pool.Exec(ctx, `DELETE FROM rate_limits WHERE window_start < $1`, before)
	return mapErr(err)
}
