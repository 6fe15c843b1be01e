package config

import (
	"strings"
	"testing"
)

// The relying-party id must be a bare domain that the hosted pages may
// claim: public_url's host or a parent domain of it.
func TestPasskeyRPID(t *testing.T) {
	for _, tc := range []struct {
		publicURL, rpID, want, err string
	}{
		{"https://accounts.example.com", "", "accounts.example.com", ""},
		{"https://accounts.example.com", "Example.com", "example.com", ""},
		{"https://accounts.example.com", "accounts.example.com", "accounts.example.com", ""},
		{"https://accounts.example.com", "example-admin.com", "", "parent domain"},
		{"https://accounts.example.com", "ample.com", "", "parent domain"},
		{"https://accounts.example.com", "https://example.com", "", "bare domain"},
		{"https://accounts.example.com", ".example.com", "", "bare domain"},
		{"https://accounts.example.com", "example.com:443", "", "bare domain"},
	} {
		c := Default()
		c.PublicURL, c.Auth.Passkeys.RPID = tc.publicURL, tc.rpID
		var errs []string
		c.validatePasskeys(func(field, format string, args ...any) { errs = append(errs, field+": "+format) })
		if tc.err != "" {
			if len(errs) != 1 || !strings.Contains(errs[0], "auth.passkeys.rp_id") || !strings.Contains(errs[0], tc.err) {
				t.Errorf("rp_id %q on %s: errors %q, want one about %q", tc.rpID, tc.publicURL, errs, tc.err)
			}
			continue
		}
		if len(errs) != 0 || c.PasskeyRPID() != tc.want {
			t.Errorf("rp_id %q on %s: %q (errors %q), want %q", tc.rpID, tc.publicURL, c.PasskeyRPID(), errs, tc.want)
		}
	}
}
