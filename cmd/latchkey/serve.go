package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/server"
	"github.com/latchkey/latchkey/internal/store"
)

func loadConfig(getenv func(string) string) (config.Config, error) {
	return config.Load(getenv("LATCHKEY_CONFIG"), getenv)
}

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Log.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

func openDB(ctx context.Context, cfg config.Config) (*store.DB, error) {
	return store.Open(ctx, cfg.Database.URL, cfg.Database.MaxConns)
}

func serve(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	slog.SetDefault(log)
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Database.AutoMigrate {
		if err := migrateUp(ctx, db, log); err != nil {
			return err
		}
	}
	srv, err := server.Build(ctx, cfg, log, db, time.Now)
	if err != nil {
		return err
	}
	if cfg.IsDevelopment() {
		// First start of a development instance: mint a key and show it once,
		// so a new user can call the Backend API straight away.
		plain, created, err := srv.SecretKeys.CreateFirst(ctx)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(stdout, "\n  Latchkey is running in development mode.\n"+
				"  Backend API:  %s/v1\n  Secret key:   %s\n"+
				"  (shown once; mint another with `latchkey secret-key create`)\n\n", cfg.AdminURL, plain)
		}
	}
	return srv.Run(ctx)
}

func migrateUp(ctx context.Context, db *store.DB, log *slog.Logger) error {
	m, err := store.NewMigrator(db)
	if err != nil {
		return err
	}
	defer m.Close()
	results, err := m.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration.String())
	}
	return nil
}
