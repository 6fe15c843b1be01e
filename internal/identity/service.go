// Package identity is user management: users, their email addresses and
// phone numbers, passwords, metadata and account status, with Clerk's rules.
package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/store"
)

// Store is the storage user management needs.
type Store interface {
	CreateUser(ctx context.Context, u store.User, then ...func(*store.Tx) error) error
	GetUser(ctx context.Context, id string) (store.User, error)
	UpdateUser(ctx context.Context, id string, fn func(*store.User) error, then ...func(*store.Tx) error) (store.User, error)
	BanUser(ctx context.Context, id string, at time.Time) (store.User, error)
	DeleteUser(ctx context.Context, id string) error
	ListUsers(ctx context.Context, f store.UserFilter) ([]store.User, error)
	CountUsers(ctx context.Context, f store.UserFilter) (int64, error)
	GetIdentification(ctx context.Context, id string) (store.Identification, error)
	AddIdentification(ctx context.Context, userID string, fn func(*store.User) (store.Identification, error)) (store.Identification, error)
	UpdateIdentification(ctx context.Context, id string, fn func(*store.User, *store.Identification) error) (store.Identification, error)
	DeleteIdentification(ctx context.Context, id string, fn func(*store.User, store.Identification) error) error
	DeleteExternalAccountIf(ctx context.Context, userID, id string, check func(store.User, []store.ExternalAccount) error) error
}

// Rules are the instance settings user management enforces.
type Rules struct {
	Identifiers        config.Identifiers
	LockoutMaxAttempts int // 0: lockout off
	LockoutDuration    time.Duration
}

// Service manages users.
type Service struct {
	store  Store
	hasher *password.Hasher
	rules  Rules
	now    func() time.Time
	policy *Restrictions // nil: no restrictions (see UseRestrictions)
	mfa    MFAImporter   // nil: second factors cannot be imported (see UseMFAImport)
}

// MFAImporter checks second factors imported with a new user and returns
// what writes them in the transaction that creates it (internal/mfa).
type MFAImporter interface {
	// hasFactor says whether the user already has a second factor that
	// backup codes could stand in for.
	Import(userID string, totpSecret *string, backupCodes []string, hasFactor bool) (func(*store.Tx) error, error)
}

// UseMFAImport lets POST /v1/users take totp_secret and backup_codes.
func (s *Service) UseMFAImport(m MFAImporter) { s.mfa = m }

// NewService wires the user service.
func NewService(s Store, h *password.Hasher, r Rules, now func() time.Time) *Service {
	return &Service{store: s, hasher: h, rules: r, now: now}
}

// Now is the service clock, for presenters that compute remaining times.
func (s *Service) Now() time.Time { return s.now() }

// translate maps store errors to API errors: unknown ids become 404, unique
// violations become Clerk's form_identifier_exists on the right field.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound()
	}
	var uv *store.UniqueViolation
	if errors.As(err, &uv) {
		switch {
		case uv.Constraint == "users_username_key":
			return apperr.IdentifierExists("username", "username")
		case uv.Constraint == "users_external_id_key":
			return apperr.IdentifierExists("external_id", "external ID")
		case uv.Constraint == "identifications_identifier_key" && strings.Contains(uv.Detail, KindWallet):
			return apperr.IdentifierExists("web3_wallet", "wallet")
		case uv.Constraint == "identifications_identifier_key" && strings.Contains(uv.Detail, store.TypePhone):
			return apperr.IdentifierExists("phone_number", "phone number")
		case uv.Constraint == "identifications_identifier_key":
			return apperr.IdentifierExists("email_address", "email address")
		}
		return apperr.Internal(err, "unexpected unique violation")
	}
	if apperr.As(err) != nil {
		return err
	}
	return apperr.Internal(err, "identity")
}

// GetUser returns a user by id.
func (s *Service) GetUser(ctx context.Context, id string) (store.User, error) {
	u, err := s.store.GetUser(ctx, id)
	return u, translate(err)
}

// DeleteUser deletes a user and everything it owns.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return translate(s.store.DeleteUser(ctx, id))
}

// update applies fn to the user under a lock and stamps updated_at.
func (s *Service) update(ctx context.Context, id string, fn func(*store.User) error, then ...func(*store.Tx) error) (store.User, error) {
	u, err := s.store.UpdateUser(ctx, id, func(u *store.User) error {
		if err := fn(u); err != nil {
			return err
		}
		u.UpdatedAt = s.now()
		return nil
	}, then...)
	return u, translate(err)
}

// Ban bans a user: they can no longer sign in, and every session they have
// is revoked in the same transaction.
func (s *Service) Ban(ctx context.Context, id string) (store.User, error) {
	u, err := s.store.BanUser(ctx, id, s.now())
	return u, translate(err)
}

// Unban lifts a ban.
func (s *Service) Unban(ctx context.Context, id string) (store.User, error) {
	return s.update(ctx, id, func(u *store.User) error { u.Banned = false; return nil })
}

// Lock locks a user until unlocked by an operator.
func (s *Service) Lock(ctx context.Context, id string) (store.User, error) {
	return s.update(ctx, id, func(u *store.User) error {
		now := s.now()
		u.LockedAt = &now
		return nil
	})
}

// Unlock lifts any lock, manual or automatic, and resets the failed-attempt count.
func (s *Service) Unlock(ctx context.Context, id string) (store.User, error) {
	return s.update(ctx, id, func(u *store.User) error {
		u.LockedAt, u.LockoutUntil, u.FailedVerificationAttempts = nil, nil, 0
		return nil
	})
}

// LockStatus reports whether u is locked at now and, for an automatic
// lockout, how many seconds remain (nil: until an operator unlocks).
func (s *Service) LockStatus(u store.User) (locked bool, expiresIn *int64) {
	if u.LockedAt != nil {
		return true, nil
	}
	if u.LockoutUntil != nil && u.LockoutUntil.After(s.now()) {
		secs := int64(u.LockoutUntil.Sub(s.now()).Seconds() + 0.999)
		return true, &secs
	}
	return false, nil
}

// AttemptsRemaining is the failed verifications left before a lockout, or
// nil when lockout is off.
func (s *Service) AttemptsRemaining(u store.User) *int64 {
	if s.rules.LockoutMaxAttempts <= 0 {
		return nil
	}
	n := int64(s.rules.LockoutMaxAttempts - u.FailedVerificationAttempts)
	if n < 0 {
		n = 0
	}
	return &n
}

// ListUsers returns one page of users.
func (s *Service) ListUsers(ctx context.Context, f store.UserFilter) ([]store.User, error) {
	users, err := s.store.ListUsers(ctx, f)
	return users, translate(err)
}

// CountUsers counts users matching f.
func (s *Service) CountUsers(ctx context.Context, f store.UserFilter) (int64, error) {
	n, err := s.store.CountUsers(ctx, f)
	return n, translate(err)
}
