package identity

import (
	"context"
	"errors"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/store"
)

// ErrPasswordIncorrect is the 422 for a password that does not match.
var errPasswordIncorrect = apperr.New(apperr.KindInvalid, "password_incorrect", "Password is incorrect.",
	"The password is incorrect. Try again, or use another method.").WithParam("password")

// CheckPassword verifies plain against the user's stored password. A digest
// imported from another system, or argon2id with outdated parameters, is
// replaced by a current argon2id hash on the first successful check.
func (s *Service) CheckPassword(ctx context.Context, userID, plain string) error {
	if len(plain) > password.MaxLength {
		return errPasswordIncorrect // never feed a huge input to a slow hash
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return translate(err)
	}
	if u.PasswordDigest == nil {
		s.hasher.VerifyDummy(ctx, plain)
		// Clerk answers 400 here (422 is only for a wrong password).
		return apperr.New(apperr.KindBadRequest, "no_password_set", "This user has no password.",
			"The user has no password set, so there is nothing to verify.").WithParam("password")
	}
	ok, rehash, err := s.hasher.Verify(ctx, *u.PasswordHasher, *u.PasswordDigest, plain)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return apperr.Internal(err, "verify password of %s", userID)
	}
	if !ok {
		return errPasswordIncorrect
	}
	if rehash || *u.PasswordHasher != password.DefaultHasher {
		s.upgradeDigest(ctx, u, plain)
	}
	return nil
}

// upgradeDigest stores a current argon2id hash. It keeps the old digest if
// the password changed in the meantime, and a failure only delays the upgrade.
func (s *Service) upgradeDigest(ctx context.Context, old store.User, plain string) {
	digest, err := s.hasher.Hash(ctx, plain)
	if err != nil {
		return
	}
	_, _ = s.store.UpdateUser(ctx, old.ID, func(u *store.User) error {
		if u.PasswordDigest == nil || *u.PasswordDigest != *old.PasswordDigest {
			return errors.New("password changed concurrently")
		}
		hasher := password.DefaultHasher
		u.PasswordDigest, u.PasswordHasher = &digest, &hasher
		return nil
	})
}
