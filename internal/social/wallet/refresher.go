package wallet

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Refresher keeps upstream access tokens fresh before they expire, beyond
// Clerk's refresh-on-request. Any number of replicas may run one: each
// account is refreshed in a transaction that holds its row lock and skips
// rows another replica (or a wallet request) holds, and a refreshed token's
// new expiry takes it out of the next scan, so each due account is
// refreshed once.
type Refresher struct {
	Wallet *Service
	// Window: tokens expiring within it are refreshed.
	Window time.Duration
	// Interval between scans.
	Interval time.Duration
	Logger   *slog.Logger
}

// Run scans every Interval until ctx ends.
func (r *Refresher) Run(ctx context.Context) error {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("token wallet: background refresh failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce refreshes every account due within Window, one transaction each,
// and returns how many it refreshed. An account whose refresh fails for a
// passing reason is left for the next scan; one the provider refuses is
// marked as needing re-authorization.
func (r *Refresher) RunOnce(ctx context.Context) (int, error) {
	var skip []string
	refreshed := 0
	for ctx.Err() == nil {
		w := r.Wallet
		a, found, err := w.db.ChangeDueExternalAccountTokens(ctx, w.now().Add(r.Window), skip, w.refreshChange(ctx, r.Window))
		if found {
			skip = append(skip, a.ID) // once per scan, whatever happened
		}
		var up *upstreamError
		switch {
		case !found && err == nil:
			return refreshed, nil
		case errors.As(err, &up):
			r.Logger.Warn("token wallet: background refresh failed; will retry", "external_account_id", a.ID,
				"provider", a.Provider, "err", err)
		case err != nil:
			return refreshed, err
		case a.NeedsReauthorization:
			r.Logger.Info("token wallet: grant revoked upstream; account needs re-authorization",
				"external_account_id", a.ID, "provider", a.Provider, "reason", a.ReauthorizationReason)
		default:
			refreshed++
		}
	}
	return refreshed, ctx.Err()
}
