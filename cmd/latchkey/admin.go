package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: latchkey migrate up|down|status")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := store.NewMigrator(db)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		return migrateUp(ctx, db, slog.New(slog.NewTextHandler(stdout, nil)))
	case "down":
		r, err := m.Down(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rolled back %s\n", r.Source.Path)
		return nil
	case "status":
		statuses, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range statuses {
			applied := "pending"
			if !s.AppliedAt.IsZero() {
				applied = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%5d  %-40s %s\n", s.Source.Version, s.Source.Path, applied)
		}
		return nil
	}
	return fmt.Errorf("usage: latchkey migrate up|down|status")
}

func secretKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "create" {
		return fmt.Errorf("usage: latchkey secret-key create [name]")
	}
	name := ""
	if len(args) > 1 {
		name = args[1]
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	plain, err := keys.NewSecretKeys(db, cfg.IsDevelopment(), time.Now).Create(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, plain)
	return nil
}

// keysCmd serves `latchkey keys rotate`: a new signing key is published at
// once and signs after keys.Propagation; the old one stays published until
// the longest-lived token it signed has expired.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "rotate" {
		return fmt.Errorf("usage: latchkey keys rotate")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	encKey, err := keys.EncryptionKey(cfg.Keys.EncryptionKey, cfg.IsDevelopment(), cfg.DataDir)
	if err != nil {
		return err
	}
	box, err := keys.NewBox(encKey)
	if err != nil {
		return err
	}
	ring := keys.NewKeyring(db, box, time.Now)
	if _, err := ring.Bootstrap(ctx); err != nil {
		return err
	}
	maxTTL := max(cfg.OAuth.AccessTokenLifetime, cfg.Sessions.TokenLifetime)
	kid, err := ring.Rotate(ctx, maxTTL)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "published %s; it signs new tokens from %s, and the previous key stays in the JWKS until %s\n",
		kid, time.Now().Add(keys.Propagation).UTC().Format(time.RFC3339),
		time.Now().Add(keys.Propagation+maxTTL+5*time.Minute).UTC().Format(time.RFC3339))
	return nil
}
