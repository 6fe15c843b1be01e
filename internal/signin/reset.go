package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/store"
)

// ResetPassword sets a new password on a sign-in whose reset code was
// verified, then signs in. With signOutOthers, every other session of the
// user is revoked — what someone resetting a stolen password wants.
func (s *Service) ResetPassword(ctx context.Context, clientID, id, newPassword string, signOutOthers bool) (SignInView, error) {
	if newPassword == "" {
		return SignInView{}, apperr.ParamMissing("password")
	}
	if err := password.Check(newPassword); err != nil {
		return SignInView{}, identity.PasswordPolicyError(err)
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsNewPassword)
	if err != nil {
		return v, err
	}
	digest, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return v, apperr.Internal(err, "hash password")
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(id)
		if err != nil {
			return err
		}
		if si.Status != NeedsNewPassword || si.UserID == nil {
			return apperr.New(apperr.KindInvalid, "sign_in_status_invalid", "This sign-in cannot do that now.",
				"The sign-in is already "+si.Status+".")
		}
		u, err := tx.LockUser(*si.UserID)
		if err != nil {
			return err
		}
		now, hasher := s.now(), password.DefaultHasher
		u.PasswordDigest, u.PasswordHasher, u.PasswordUpdatedAt = &digest, &hasher, &now
		// Proving control of the email is what a lockout waits for.
		u.FailedVerificationAttempts, u.LockoutUntil = 0, nil
		if err := s.completeSignIn(tx, &si, &u, StrategyResetPasswordEmailCode); err != nil {
			return err
		}
		if signOutOthers {
			keep := "" // no session yet while a second factor is due: end them all
			if si.CreatedSessionID != nil {
				keep = *si.CreatedSessionID
			}
			return tx.EndUserSessions(u.ID, keep, "revoked", now)
		}
		return nil
	})
	if err != nil {
		return v, translate(err)
	}
	return s.GetSignIn(ctx, clientID, id)
}
