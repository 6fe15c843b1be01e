package identity

import (
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/store"
)

// PasswordPolicyError maps the password policy's errors to Clerk's codes.
func PasswordPolicyError(err error) error {
	switch {
	case errors.Is(err, password.ErrTooShort):
		return apperr.New(apperr.KindInvalid, "form_password_length_too_short",
			"Passwords must be 8 characters or more.", "Passwords must be 8 characters or more.").WithParam("password")
	case errors.Is(err, password.ErrTooLong):
		return apperr.New(apperr.KindInvalid, "form_password_length_too_long",
			"Passwords must be less than 256 characters.", "Passwords must be at most 256 bytes long.").WithParam("password")
	case errors.Is(err, password.ErrPwned):
		return apperr.New(apperr.KindInvalid, "form_password_pwned",
			"Password has been found in an online data breach. For account safety, please use a different password.",
			"This password is among the most commonly used passwords and has been found in data breaches. Please use a different password.").WithParam("password")
	}
	return err
}

// passwordChange describes a requested password change: a plaintext, or a
// digest imported from another system with the hasher that made it.
type passwordChange struct {
	plain, digest, hasher *string
	skipChecks            bool
}

func (c passwordChange) requested() bool { return c.plain != nil || c.digest != nil }

// prepare validates the change and returns the digest and hasher to store.
// Plaintexts are always checked for length (a huge password must never reach
// the hash); skip_password_checks only waives the breached-password check
// and the minimum length, as Clerk's does for migrations.
func (s *Service) preparePassword(ctx context.Context, c passwordChange) (digest, hasher string, err error) {
	switch {
	case c.plain != nil && c.digest != nil:
		return "", "", apperr.ParamValueInvalid("password_digest", "password and password_digest cannot both be given.")
	case c.plain != nil:
		if err := password.Check(*c.plain); err != nil {
			if !c.skipChecks || errors.Is(err, password.ErrTooLong) {
				return "", "", PasswordPolicyError(err)
			}
		}
		d, err := s.hasher.Hash(ctx, *c.plain)
		if err != nil {
			return "", "", apperr.Internal(err, "hash password")
		}
		return d, password.DefaultHasher, nil
	case c.digest != nil:
		if c.hasher == nil || *c.hasher == "" {
			return "", "", apperr.ParamMissing("password_hasher")
		}
		if err := password.ValidateDigest(*c.hasher, *c.digest); err != nil {
			if errors.Is(err, password.ErrUnsupportedHasher) {
				return "", "", apperr.ParamValueInvalid("password_hasher", "password_hasher "+*c.hasher+" is not supported.")
			}
			return "", "", apperr.New(apperr.KindInvalid, "form_password_digest_invalid", "is invalid",
				"The password digest is not a valid "+*c.hasher+" digest.").WithParam("password_digest")
		}
		return *c.digest, *c.hasher, nil
	}
	return "", "", nil
}

// applyPassword stores a prepared password on u.
func applyPassword(u *store.User, digest, hasher string, now time.Time) {
	u.PasswordDigest, u.PasswordHasher, u.PasswordUpdatedAt = &digest, &hasher, &now
}
