package mfa

import (
	"encoding/base32"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Importing a user's second factors (POST /v1/users with totp_secret and
// backup_codes, as Clerk's Backend API takes them) lets an operator move
// users from another provider without making each one enrol again.

// Imported backup codes come from elsewhere, so their length is not ours:
// anything from 6 to 32 letters and digits is accepted.
const (
	minImportedCode = 6
	maxImportedCode = 32
	maxImported     = 20
)

// Import checks an imported authenticator secret (base32, SHA-1, 6 digits
// every 30 seconds: what Clerk exports and nearly every app uses) and
// backup codes (in the clear: they are kept here as keyed hashes), and
// returns what writes them for user userID inside the transaction that
// creates or updates it: a secret replaces the user's app, codes replace
// their set. Backup codes only stand in for another factor, so they come
// with a secret unless the user has one (hasFactor).
func (s *Service) Import(userID string, secret *string, backupCodes []string, hasFactor bool) (func(*store.Tx) error, error) {
	if secret == nil && len(backupCodes) == 0 {
		return func(*store.Tx) error { return nil }, nil
	}
	if secret == nil && !hasFactor {
		return nil, apperr.ParamValueInvalid("backup_codes",
			"Backup codes stand in for an authenticator app: give totp_secret with them.")
	}
	now := s.now()
	var t *store.TOTP
	if secret != nil {
		if !s.settings.Factors.TOTP {
			return nil, errDisabled("totp")
		}
		clean, err := importedSecret(*secret)
		if err != nil {
			return nil, err
		}
		t = &store.TOTP{ID: ids.New(IDPrefix), UserID: userID, SecretSealed: s.box.Seal([]byte(clean), aad(userID)),
			VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	}
	hashes, err := s.importedCodes(backupCodes)
	if err != nil {
		return nil, err
	}
	return func(tx *store.Tx) error {
		if t != nil {
			if err := tx.PutTOTP(*t); err != nil {
				return err
			}
		}
		if len(hashes) == 0 {
			return nil
		}
		return tx.ReplaceBackupCodes(userID, hashes, now)
	}, nil
}

// importedSecret normalizes a base32 secret (spaces, dashes, padding and
// case as apps show them) and refuses one too short to be a real secret.
func importedSecret(raw string) (string, error) {
	clean := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(strings.TrimSpace(raw)))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(clean)
	switch {
	case err != nil:
		return "", apperr.ParamValueInvalid("totp_secret", "totp_secret must be a base32 secret (A-Z and 2-7).")
	case len(b) < 10 || len(b) > 64:
		return "", apperr.ParamValueInvalid("totp_secret", "totp_secret must hold between 80 and 512 bits.")
	}
	return clean, nil
}

func (s *Service) importedCodes(codes []string) ([][]byte, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	if !s.settings.Factors.BackupCode {
		return nil, errDisabled("backup_code")
	}
	if len(codes) > maxImported {
		return nil, apperr.ParamValueInvalid("backup_codes", "At most 20 backup codes can be imported.")
	}
	seen := map[string]bool{}
	out := make([][]byte, 0, len(codes))
	for _, raw := range codes {
		if strings.HasPrefix(raw, "$2") {
			return nil, apperr.ParamValueInvalid("backup_codes",
				"Backup codes must be the codes themselves: Latchkey keeps keyed hashes of them and cannot use bcrypt digests.")
		}
		c := normalizeBackupCode(raw)
		if !importableCode(c) {
			return nil, apperr.ParamValueInvalid("backup_codes", "Each backup code must be 6 to 32 letters and digits.")
		}
		if seen[c] {
			return nil, apperr.ParamValueInvalid("backup_codes", "A backup code is given more than once.")
		}
		seen[c] = true
		out = append(out, s.hash(c))
	}
	return out, nil
}

func importableCode(c string) bool {
	if len(c) < minImportedCode || len(c) > maxImportedCode {
		return false
	}
	for _, r := range c {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
