package config

import (
	"strconv"
	"time"
)

// applyEnv overlays environment variables. Secrets belong here rather than in
// the file; the rest are the settings that differ between deployments.
func applyEnv(c *Config, getenv func(string) string) {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("LATCHKEY_ENV", &c.Env)
	str("LATCHKEY_PUBLIC_URL", &c.PublicURL)
	str("LATCHKEY_ADMIN_URL", &c.AdminURL)
	str("LATCHKEY_DATA_DIR", &c.DataDir)
	str("LATCHKEY_PUBLIC_ADDR", &c.Listen.Public)
	str("LATCHKEY_ADMIN_ADDR", &c.Listen.Admin)
	str("DATABASE_URL", &c.Database.URL)
	str("LATCHKEY_LOG_LEVEL", &c.Log.Level)
	str("LATCHKEY_LOG_FORMAT", &c.Log.Format)
	str("LATCHKEY_ENCRYPTION_KEY", &c.Keys.EncryptionKey)
	str("LATCHKEY_SMTP_PASSWORD", &c.Email.SMTP.Password)
	str("LATCHKEY_SMTP_HOST", &c.Email.SMTP.Host)
	str("LATCHKEY_SMS_AUTH_TOKEN", &c.SMS.Twilio.AuthToken)
	applySocialEnv(c, getenv)
	if v := getenv("LATCHKEY_SHUTDOWN_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			c.HTTP.ShutdownTimeout = d
		}
	}
	if v := getenv("LATCHKEY_DB_MAX_CONNS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			c.Database.MaxConns = int32(n)
		}
	}
}
