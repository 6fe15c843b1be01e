// Package ratelimit counts events per key in fixed windows stored in
// PostgreSQL, so a limit holds across replicas and restarts.
package ratelimit

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
)

// Store counts hits.
type Store interface {
	HitRateLimit(ctx context.Context, key string, windowStart time.Time) (int, error)
	PurgeRateLimits(ctx context.Context, before time.Time) error
}

// Limiter enforces limits.
type Limiter struct {
	store Store
	now   func() time.Time
}

// New builds a limiter.
func New(s Store, now func() time.Time) *Limiter { return &Limiter{store: s, now: now} }

// Allow counts one event for key and fails with a 429 once more than limit
// happen within the current window.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, window time.Duration) error {
	now := l.now()
	start := now.Truncate(window)
	n, err := l.store.HitRateLimit(ctx, key, start)
	if err != nil {
		return apperr.Internal(err, "rate limit")
	}
	if rand.IntN(1000) == 0 { // keep the table small without a separate job
		_ = l.store.PurgeRateLimits(ctx, start.Add(-window))
	}
	if n > limit {
		retry := int64(start.Add(window).Sub(now).Seconds()) + 1
		return apperr.New(apperr.KindRateLimited, "too_many_requests", "Too many requests",
			"Too many requests. Please wait a moment and try again.").WithMeta("retry_after_seconds", retry)
	}
	return nil
}
