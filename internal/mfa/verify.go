package mfa

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// Code types reported by VerifyCode (Clerk's code_type).
const (
	CodeTOTP       = "totp"
	CodeBackupCode = "backup_code"
)

func errNotConfigured() error {
	return apperr.New(apperr.KindBadRequest, "totp_not_enabled", "No second factor",
		"The user has no authenticator app or backup codes.")
}

func errLocked(until *time.Time, now time.Time) error {
	e := apperr.New(apperr.KindForbidden, "user_locked", "The account is locked.",
		"The account is locked due to too many failed attempts. Please try again later.")
	if until == nil {
		return e.WithMeta("lockout_expires_in_seconds", nil)
	}
	return e.WithMeta("lockout_expires_in_seconds", int64(until.Sub(now).Seconds()+0.999))
}

// VerifyCode checks a TOTP or backup code for a user outside a sign-in (the
// Backend API's verify_totp, for custom flows and re-verification). A
// backup code is spent. Wrong codes count toward the user's lockout like
// those of a sign-in, since the code comes from whoever the caller relays.
func (s *Service) VerifyCode(ctx context.Context, userID, code string) (string, error) {
	if code == "" {
		return "", apperr.ParamMissing("code")
	}
	var codeType string
	var outcome error
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		now := s.now()
		if u.LockedAt != nil {
			outcome = errLocked(nil, now)
			return nil
		}
		if u.LockoutUntil != nil && u.LockoutUntil.After(now) {
			outcome = errLocked(u.LockoutUntil, now)
			return nil
		}
		if !(u.TOTPEnabled && s.settings.Factors.TOTP) && !(u.BackupCodeEnabled && s.settings.Factors.BackupCode) {
			outcome = errNotConfigured()
			return nil
		}
		ok, err := s.CheckTOTP(tx, userID, code)
		codeType = CodeTOTP
		if err == nil && !ok {
			ok, err = s.UseBackupCode(tx, userID, code)
			codeType = CodeBackupCode
		}
		if err != nil {
			return err
		}
		if ok {
			return tx.ClearMFAFailures(userID)
		}
		outcome = errCodeIncorrect()
		failures, err := tx.AddMFAFailure(userID, now)
		if err != nil {
			return err
		}
		if max := s.settings.LockoutMaxAttempts; max > 0 && failures >= max {
			until := now.Add(s.settings.LockoutDuration)
			u.LockoutUntil, outcome = &until, errLocked(&until, now)
			return tx.SaveUser(u)
		}
		return nil
	})
	if err != nil {
		return "", translate(err)
	}
	return codeType, outcome
}
