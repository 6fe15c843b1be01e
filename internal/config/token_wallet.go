package config

import "time"

// TokenWallet configures the token wallet (the Backend API's
// /v1/users/{id}/oauth_access_tokens/{provider}).
type TokenWallet struct {
	// RefreshMargin: an upstream access token expiring within it is refreshed
	// before the wallet hands it out.
	RefreshMargin time.Duration `yaml:"refresh_margin"`
	// BackgroundRefresh keeps tokens fresh before they expire, beyond
	// Clerk's refresh-on-request; safe with any number of replicas.
	BackgroundRefresh bool `yaml:"background_refresh"`
	// BackgroundWindow: the background refresher refreshes tokens that
	// expire within it.
	BackgroundWindow time.Duration `yaml:"background_window"`
	// BackgroundInterval is how often the background refresher looks.
	BackgroundInterval time.Duration `yaml:"background_interval"`
}

func defaultTokenWallet() TokenWallet {
	return TokenWallet{RefreshMargin: time.Minute, BackgroundWindow: 5 * time.Minute, BackgroundInterval: 30 * time.Second}
}

func (c Config) validateTokenWallet(bad func(field, format string, args ...any)) {
	w := c.TokenWallet
	if w.RefreshMargin < 0 || w.RefreshMargin > time.Hour {
		bad("token_wallet.refresh_margin", "must be between 0s and 1h, got %s", w.RefreshMargin)
	}
	if !w.BackgroundRefresh {
		return
	}
	if w.BackgroundWindow < w.RefreshMargin || w.BackgroundWindow <= 0 {
		bad("token_wallet.background_window", "must be positive and at least token_wallet.refresh_margin (%s), got %s",
			w.RefreshMargin, w.BackgroundWindow)
	}
	if w.BackgroundInterval < time.Second || w.BackgroundInterval >= w.BackgroundWindow {
		bad("token_wallet.background_interval", "must be at least 1s and shorter than token_wallet.background_window (%s), got %s",
			w.BackgroundWindow, w.BackgroundInterval)
	}
}
