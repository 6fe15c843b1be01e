// Package config holds Latchkey's typed configuration: a YAML file (path from
// LATCHKEY_CONFIG) overlaid with environment variables for secrets and for
// the few settings operators change per deployment.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// Environments.
const (
	EnvProduction  = "production"
	EnvDevelopment = "development"
)

// Config is the whole configuration. Field names are the YAML keys.
type Config struct {
	// Env is "production" (default) or "development". Development relaxes only
	// what is needed to run on http://localhost: generated secrets, text logs.
	Env string `yaml:"env"`
	// PublicURL is the externally visible base URL of the public listener; it is
	// the token issuer.
	PublicURL string `yaml:"public_url"`
	// AdminURL is the base URL of the admin listener as the operator reaches it.
	AdminURL string `yaml:"admin_url"`
	// DataDir holds generated development secrets (encryption key).
	DataDir string `yaml:"data_dir"`

	Listen   Listen   `yaml:"listen"`
	Database Database `yaml:"database"`
	Log      Log      `yaml:"log"`
	HTTP     HTTP     `yaml:"http"`
	Keys     Keys     `yaml:"keys"`
	Users    Users    `yaml:"users"`
	Auth     Auth     `yaml:"auth"`
	Sessions Sessions `yaml:"sessions"`
	Branding Branding `yaml:"branding"`
	Email    Email    `yaml:"email"`
	SMS      SMS      `yaml:"sms"`
	OAuth    OAuth    `yaml:"oauth"`
	// TokenWallet configures the Backend API's upstream token wallet.
	TokenWallet TokenWallet `yaml:"token_wallet"`
	Social      Social      `yaml:"social"`
	// AllowedOrigins are the app origins that may call the frontend API with
	// credentials and be redirected to after sign-in (besides public_url).
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// OAuth configures the OAuth 2.0 / OpenID Connect provider.
type OAuth struct {
	AccessTokenLifetime  time.Duration `yaml:"access_token_lifetime"`
	RefreshTokenLifetime time.Duration `yaml:"refresh_token_lifetime"`
	// RefreshGrace lets a just-spent refresh token be used again this long,
	// for clients that refresh concurrently; 0 is strict rotation.
	RefreshGrace        time.Duration `yaml:"refresh_grace"`
	DynamicRegistration bool          `yaml:"dynamic_registration"`
	// AccessTokenFormat is "jwt" (RFC 9068, verifiable offline, nothing
	// written per token) or "opaque" (random, stored as a hash).
	AccessTokenFormat string `yaml:"access_token_format"`
}

// Auth holds the instance's sign-up and sign-in settings.
type Auth struct {
	Identifiers  Identifiers  `yaml:"identifiers"`
	FirstFactors FirstFactors `yaml:"first_factors"`
	SignUp       SignUp       `yaml:"sign_up"`
	EmailLink    EmailLink    `yaml:"email_link"`
	RateLimits   RateLimits   `yaml:"rate_limits"`
	Web3         Web3         `yaml:"web3"`
	Passkeys     Passkeys     `yaml:"passkeys"`
	// SecondFactors switches multi-factor authentication strategies.
	SecondFactors SecondFactors `yaml:"second_factors"`
}

// Identifiers says which identifiers users have and which every user must have.
type Identifiers struct {
	EmailAddress Identifier `yaml:"email_address"`
	PhoneNumber  Identifier `yaml:"phone_number"`
	Username     Identifier `yaml:"username"`
}

// Identifier is one identifier's switches.
type Identifier struct {
	Enabled  bool `yaml:"enabled"`
	Required bool `yaml:"required"`
}

// Listen holds the two listener addresses.
type Listen struct {
	Public string `yaml:"public"`
	Admin  string `yaml:"admin"`
}

// Database configures PostgreSQL.
type Database struct {
	URL         string `yaml:"url"` // usually from DATABASE_URL
	MaxConns    int32  `yaml:"max_conns"`
	AutoMigrate bool   `yaml:"auto_migrate"` // apply migrations at serve start
}

// Log configures structured logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or text; default json in production
}

// HTTP holds server-wide HTTP limits.
type HTTP struct {
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
}

// Keys configures key material.
type Keys struct {
	// EncryptionKey is base64 of 32 random bytes; it encrypts private signing
	// keys and other secrets that must be read back. Set it with
	// LATCHKEY_ENCRYPTION_KEY rather than in the file.
	EncryptionKey string `yaml:"encryption_key"`
}

// Users holds user-management rules.
type Users struct {
	// PasswordHashConcurrency bounds parallel argon2id work; 0 means one per core.
	PasswordHashConcurrency int `yaml:"password_hash_concurrency"`
	// LockoutMaxAttempts failed password attempts lock a user; 0 disables lockout.
	LockoutMaxAttempts int `yaml:"lockout_max_attempts"`
	// LockoutDuration is how long an automatic lockout lasts.
	LockoutDuration time.Duration `yaml:"lockout_duration"`
	// DeleteSelfEnabled lets people delete their own account from the account page.
	DeleteSelfEnabled bool `yaml:"delete_self_enabled"`
}

// Default returns the configuration used when a setting is not given.
func Default() Config {
	return Config{
		Env:       EnvProduction,
		PublicURL: "http://localhost:8080",
		AdminURL:  "http://localhost:8081",
		DataDir:   ".data",
		Listen:    Listen{Public: ":8080", Admin: ":8081"},
		Database:  Database{MaxConns: 20, AutoMigrate: true},
		Log:       Log{Level: "info"},
		HTTP: HTTP{
			MaxBodyBytes:    1 << 20,
			ShutdownTimeout: 20 * time.Second,
			ReadTimeout:     15 * time.Second,
			WriteTimeout:    30 * time.Second,
		},
		Users:    Users{LockoutMaxAttempts: 100, LockoutDuration: time.Hour},
		Auth:     defaultAuth(),
		OAuth:    OAuth{AccessTokenLifetime: 2 * time.Hour, RefreshTokenLifetime: 72 * time.Hour, AccessTokenFormat: "jwt"},
		Sessions: Sessions{MaxLifetime: 7 * 24 * time.Hour, TokenLifetime: time.Minute},
		Branding: Branding{ApplicationName: "Latchkey", PrimaryColor: "#4f46e5"},

		TokenWallet: defaultTokenWallet(),
	}
}

// Load reads the file at path (if path is non-empty), applies environment
// overrides from getenv, fills defaults and validates.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true) // a misspelt key is an error, not a silently ignored setting
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	applyEnv(&cfg, getenv)
	cfg.deriveLocalURLs()
	if cfg.IsDevelopment() && cfg.AllowedOrigins == nil {
		// The example app and most dev servers run here; production names its origins.
		cfg.AllowedOrigins = []string{"http://localhost:3000"}
	}
	if cfg.Log.Format == "" {
		cfg.Log.Format = "json"
		if cfg.Env == EnvDevelopment {
			cfg.Log.Format = "text"
		}
	}
	return cfg, cfg.Validate()
}

// deriveLocalURLs keeps the default http://localhost URLs in step with the
// listen ports, so moving a listener (LATCHKEY_ADMIN_ADDR=:9081) does not
// leave messages and token issuers pointing at the old port. URLs that were
// configured are left alone.
func (c *Config) deriveLocalURLs() {
	def := Default()
	if c.PublicURL == def.PublicURL {
		c.PublicURL = localURL(c.Listen.Public, c.PublicURL)
	}
	if c.AdminURL == def.AdminURL {
		c.AdminURL = localURL(c.Listen.Admin, c.AdminURL)
	}
}

func localURL(addr, fallback string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return fallback
	}
	return "http://localhost:" + port
}

// IsDevelopment reports whether development relaxations apply.
func (c Config) IsDevelopment() bool { return c.Env == EnvDevelopment }
