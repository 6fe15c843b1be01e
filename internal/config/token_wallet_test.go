package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTokenWalletSettings(t *testing.T) {
	dir := t.TempDir()
	vars := env(map[string]string{"DATABASE_URL": "postgres://x", "LATCHKEY_ENV": "development",
		"LATCHKEY_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="})
	load := func(body string) (Config, error) {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path, vars)
	}
	cfg, err := load("token_wallet: {background_refresh: true, refresh_margin: 2m, background_window: 10m, background_interval: 1m}\n")
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.TokenWallet; !w.BackgroundRefresh || w.RefreshMargin != 2*time.Minute || w.BackgroundWindow != 10*time.Minute {
		t.Fatalf("not loaded: %+v", w)
	}
	if cfg, err := load(""); err != nil || cfg.TokenWallet.BackgroundRefresh || cfg.TokenWallet.RefreshMargin != time.Minute {
		t.Fatalf("defaults: %+v %v", cfg.TokenWallet, err)
	}
	for body, want := range map[string]string{
		"token_wallet: {refresh_margin: -1s}\n":                                                  "token_wallet.refresh_margin",
		"token_wallet: {background_refresh: true, background_window: 30s}\n":                     "token_wallet.background_window",
		"token_wallet: {background_refresh: true, background_interval: 10m}\n":                   "token_wallet.background_interval",
		"token_wallet: {background_refresh: true, background_interval: 100ms}\n":                 "token_wallet.background_interval",
		"token_wallet: {refresh_margin: 10m, background_refresh: true, background_window: 5m}\n": "token_wallet.background_window",
	} {
		if _, err := load(body); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: error %v does not name %q", body, err, want)
		}
	}
}
