package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestExampleConfigLoads(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	example := filepath.Join(filepath.Dir(file), "..", "..", "deploy", "latchkey.example.yaml")
	cfg, err := Load(example, env(map[string]string{
		"DATABASE_URL": "postgres://u:p@db/latchkey", "LATCHKEY_SMTP_PASSWORD": "x",
		"LATCHKEY_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	}))
	if err != nil {
		t.Fatalf("the shipped example config does not load: %v", err)
	}
	if cfg.PublicURL != "https://auth.example.com" || cfg.Listen.Admin != ":8081" || cfg.Log.Format != "json" {
		t.Fatalf("unexpected values: %+v", cfg)
	}
}

func TestEnvOverridesAndDevelopmentDefaults(t *testing.T) {
	cfg, err := Load("", env(map[string]string{
		"DATABASE_URL": "postgres://x", "LATCHKEY_ENV": "development", "LATCHKEY_PUBLIC_ADDR": "127.0.0.1:9000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen.Public != "127.0.0.1:9000" || cfg.Log.Format != "text" || !cfg.IsDevelopment() {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
}

func TestValidationNamesTheBadField(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"env: staging\n":                                                      "env:",
		"public_url: http://auth.example.com\n":                               "public_url",
		"public_url: https://auth.example.com/path\n":                         "public_url",
		"listen: {public: ':8080', admin: ':8080'}\n":                         "listen.admin",
		"log: {level: loud}\n":                                                "log.level",
		"http: {max_body_bytes: 10}\n":                                        "http.max_body_bytes",
		"keys: {encryption_key: short}\n":                                     "keys.encryption_key",
		"users: {lockout_max_attempts: -1}\n":                                 "users.lockout_max_attempts",
		"auth: {identifiers: {username: {enabled: false, required: true}}}\n": "auth.identifiers.username.required",
		"lisen: {public: ':1'}\n":                                             "field lisen not found",
	}
	for body, want := range cases {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"DATABASE_URL": "postgres://x"}
		if !strings.HasPrefix(body, "keys:") {
			vars["LATCHKEY_ENCRYPTION_KEY"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
		}
		_, err := Load(path, env(vars))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: error %v does not name %q", body, err, want)
		}
	}
}

func TestProductionRequiresSecrets(t *testing.T) {
	_, err := Load("", env(map[string]string{}))
	if err == nil || !strings.Contains(err.Error(), "database.url") || !strings.Contains(err.Error(), "keys.encryption_key") {
		t.Fatalf("missing secrets not reported: %v", err)
	}
}

func TestDefaultURLsFollowTheListenPorts(t *testing.T) {
	cfg, err := Load("", env(map[string]string{"DATABASE_URL": "postgres://x", "LATCHKEY_ENV": "development",
		"LATCHKEY_PUBLIC_ADDR": ":18080", "LATCHKEY_ADMIN_ADDR": "127.0.0.1:18081"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "http://localhost:18080" || cfg.AdminURL != "http://localhost:18081" {
		t.Fatalf("urls not derived: %s %s", cfg.PublicURL, cfg.AdminURL)
	}
	cfg, _ = Load("", env(map[string]string{"DATABASE_URL": "postgres://x", "LATCHKEY_ENV": "development",
		"LATCHKEY_PUBLIC_ADDR": ":18080", "LATCHKEY_PUBLIC_URL": "http://auth.localhost:8080"}))
	if cfg.PublicURL != "http://auth.localhost:8080" {
		t.Fatalf("a configured url was overridden: %s", cfg.PublicURL)
	}
}

func TestSocialConnectionsValidated(t *testing.T) {
	good := "email:\n  smtp: {from: a@b.example}\nsocial:\n  connections:\n    - {provider: google, client_id: g}\n    - {provider: custom_acme, type: oidc, issuer: 'https://id.acme.example', client_id: a}\n"
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, env(map[string]string{"LATCHKEY_SOCIAL_GOOGLE_CLIENT_SECRET": "s3cret", "LATCHKEY_SOCIAL_CUSTOM_ACME_CLIENT_SECRET": "a", "LATCHKEY_SMTP_HOST": "smtp.example", "LATCHKEY_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "DATABASE_URL": "postgres://x"}))
	if err != nil || cfg.Social.Connections[0].ClientSecret != "s3cret" || cfg.Social.Connections[1].Strategy() != "oauth_custom_acme" {
		t.Fatalf("good social config: %+v, %v", cfg.Social, err)
	}
	for body, field := range map[string]string{
		"social:\n  connections:\n    - {provider: myspace, client_id: x}\n":                                        "social.connections[0].provider",
		"social:\n  connections:\n    - {provider: google}\n":                                                       "social.connections[0].client_id",
		"social:\n  connections:\n    - {provider: custom_x, client_id: x}\n":                                       "social.connections[0].type",
		"social:\n  connections:\n    - {provider: custom_x, type: oauth2, client_id: x}\n":                         "social.connections[0]",
		"social:\n  connections:\n    - {provider: github, client_id: x}\n    - {provider: github, client_id: y}\n": "social.connections[1].provider",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, env(map[string]string{"LATCHKEY_SMTP_HOST": "smtp.example", "LATCHKEY_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "DATABASE_URL": "postgres://x"}))
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%q: error %v, want it to name %s", body, err, field)
		}
	}
}
