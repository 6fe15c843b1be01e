package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// A set of backup codes: ten codes of ten characters from a 32-letter
// alphabet without look-alikes (50 bits each), shown once and kept only as
// keyed hashes.
const (
	backupCodeCount  = 10
	backupCodeLength = 10
	backupAlphabet   = "abcdefghjkmnpqrstvwxyz0123456789" // no i, l, o, u
)

// CreateBackupCodes makes a new set of backup codes, replacing any old set,
// and returns them in the clear: this is the only time they exist so.
func (s *Service) CreateBackupCodes(ctx context.Context, userID string) ([]string, error) {
	if !s.settings.Factors.BackupCode {
		return nil, errDisabled("backup_code")
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, translate(err)
	}
	if !(u.TOTPEnabled && s.settings.Factors.TOTP) && !s.hasOtherFactor(u) {
		return nil, errNoSecondFactor()
	}
	codes := newBackupCodes()
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		return tx.ReplaceBackupCodes(userID, s.hashAll(codes), s.now())
	})
	return codes, translate(err)
}

// DeleteBackupCodes removes a user's backup codes.
func (s *Service) DeleteBackupCodes(ctx context.Context, userID string) error {
	if _, err := s.store.GetUser(ctx, userID); err != nil {
		return translate(err)
	}
	return translate(s.store.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.DeleteBackupCodes(userID)
		return err
	}))
}

// UseBackupCode spends one of the user's backup codes in the caller's
// transaction; it reports whether the code was an unused one.
func (s *Service) UseBackupCode(tx *store.Tx, userID, code string) (bool, error) {
	if !s.settings.Factors.BackupCode {
		return false, nil
	}
	code = normalizeBackupCode(code)
	if !importableCode(code) { // ours, or imported ones of another length
		return false, nil
	}
	return tx.UseBackupCode(userID, s.hash(code), s.now())
}

func (s *Service) hash(code string) []byte {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(code))
	return m.Sum(nil)
}

func (s *Service) hashAll(codes []string) [][]byte {
	out := make([][]byte, len(codes))
	for i, c := range codes {
		out[i] = s.hash(c)
	}
	return out
}

func newBackupCodes() []string {
	out := make([]string, backupCodeCount)
	buf := make([]byte, backupCodeLength)
	for i := range out {
		if _, err := rand.Read(buf); err != nil {
			panic("mfa: crypto/rand failed: " + err.Error())
		}
		b := make([]byte, backupCodeLength)
		for j, x := range buf {
			b[j] = backupAlphabet[int(x)%len(backupAlphabet)] // 256 is a multiple of 32: no bias
		}
		out[i] = string(b)
	}
	return out
}

// normalizeBackupCode accepts a code as typed: any case, with spaces or dashes.
func normalizeBackupCode(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	return strings.NewReplacer(" ", "", "-", "").Replace(code)
}

// BackupCodesID is the id shown for a user's set of backup codes (Clerk's
// BackupCodes object has one; the set has no row of its own).
func BackupCodesID(userID string) string { return "bc_" + strings.TrimPrefix(userID, "user_") }
