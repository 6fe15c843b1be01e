// Package mfa is multi-factor authentication: enrolling an authenticator app
// (TOTP, RFC 6238) and backup codes, checking their codes, and removing
// them. The sign-in engine asks it to check a second factor inside the
// sign-in's own transaction; the account page, the frontend API's /v1/me
// and the Backend API manage enrolments through it.
package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// IDPrefix prefixes the id of an authenticator app (Clerk shows TOTPs as "totp_...").
const IDPrefix = "totp"

// Store is what the service needs from storage.
type Store interface {
	Tx(ctx context.Context, fn func(*store.Tx) error) error
	GetTOTP(ctx context.Context, userID string) (store.TOTP, error)
	GetUser(ctx context.Context, id string) (store.User, error)
}

// Settings are the instance options the service enforces.
type Settings struct {
	Factors config.SecondFactors
	Issuer  string // shown by authenticator apps next to the account
	// The user lockout, shared with the sign-in engine: wrong codes given to
	// VerifyCode count toward it.
	LockoutMaxAttempts int
	LockoutDuration    time.Duration
}

// Service manages second factors.
type Service struct {
	store    Store
	box      *keys.Box
	hashKey  []byte
	settings Settings
	now      func() time.Time
}

// New wires the service. encryptionKey keys the HMAC of backup codes; box
// seals TOTP secrets.
func New(s Store, box *keys.Box, encryptionKey []byte, settings Settings, now func() time.Time) *Service {
	m := hmac.New(sha256.New, encryptionKey)
	m.Write([]byte("latchkey/backup-codes/v1"))
	return &Service{store: s, box: box, hashKey: m.Sum(nil), settings: settings, now: now}
}

// Settings returns the options in force.
func (s *Service) Settings() Settings { return s.settings }

func errDisabled(strategy string) error {
	return apperr.New(apperr.KindForbidden, "feature_not_enabled", "Not enabled",
		strategy+" is not enabled as a second factor on this instance.")
}

func errNoSecondFactor() error {
	return apperr.New(apperr.KindInvalid, "no_second_factors", "Turn on two-step verification first",
		"Backup codes are a fallback: turn on an authenticator app first.")
}

// translate maps store errors.
func translate(err error) error {
	if err == nil || apperr.As(err) != nil {
		return err
	}
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound()
	}
	return apperr.Internal(err, "mfa")
}

// Reset removes every second factor of a user (the Backend API's
// DELETE /v1/users/{id}/mfa): the authenticator app, the backup codes and
// the phone numbers' reservation for SMS codes (the numbers stay).
func (s *Service) Reset(ctx context.Context, userID string) error {
	if _, err := s.store.GetUser(ctx, userID); err != nil {
		return translate(err)
	}
	return translate(s.store.Tx(ctx, func(tx *store.Tx) error {
		// The user first, as a sign-in checking a code locks it.
		if _, err := tx.LockUser(userID); err != nil {
			return err
		}
		if err := tx.ReleaseSecondFactorPhones(userID, s.now()); err != nil {
			return err
		}
		if _, err := tx.DeleteTOTP(userID); err != nil {
			return err
		}
		if _, err := tx.DeleteBackupCodes(userID); err != nil {
			return err
		}
		return tx.ClearMFAFailures(userID)
	}))
}

// ForgetFailures clears the user's count of wrong second-factor codes (an
// operator's unlock).
func (s *Service) ForgetFailures(ctx context.Context, userID string) error {
	return translate(s.store.Tx(ctx, func(tx *store.Tx) error { return tx.ClearMFAFailures(userID) }))
}

// hasOtherFactor reports whether u has a second factor besides the
// authenticator app that backup codes can stand in for: an SMS code to a
// reserved phone number, when that strategy is on.
func (s *Service) hasOtherFactor(u store.User) bool {
	return s.settings.Factors.PhoneCode && u.PhoneSecondFactor()
}
