package signin

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/store"
)

func errPasswordIncorrect() error {
	return apperr.New(apperr.KindInvalid, "form_password_incorrect", "Password is incorrect. Try again, or use another method.",
		"Password is incorrect. Try again, or use another method.").WithParam("password")
}

func errUserLocked(until time.Time, now time.Time, permanent bool) error {
	e := apperr.New(apperr.KindForbidden, "user_locked", "Your account is locked.",
		"Your account is locked due to too many failed attempts. Please try again later.")
	if permanent {
		return e.WithMeta("lockout_expires_in_seconds", nil)
	}
	return e.WithMeta("lockout_expires_in_seconds", int64(until.Sub(now).Seconds()+0.999))
}

// lockState reports whether u is locked at now.
func lockState(u store.User, now time.Time) (locked, permanent bool, until time.Time) {
	if u.LockedAt != nil {
		return true, true, time.Time{}
	}
	if u.LockoutUntil != nil && u.LockoutUntil.After(now) {
		return true, false, *u.LockoutUntil
	}
	return false, false, time.Time{}
}

// attemptPassword checks a password. Unknown identifiers and users without a
// password still pay for one argon2id verification, so timing tells nothing.
// Failures count per user in Postgres; at the limit the user is locked out.
func (s *Service) attemptPassword(ctx context.Context, clientID, id string, in AttemptInput) (SignInView, error) {
	if err := s.limit(ctx, "sign_in", in.IP, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	if in.Password == "" {
		return SignInView{}, apperr.ParamMissing("password")
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsFirstFactor)
	if err != nil {
		return v, err
	}
	if len(in.Password) > password.MaxLength {
		return v, errPasswordIncorrect() // never hashed
	}
	u := v.User
	if u == nil || u.PasswordDigest == nil {
		s.hasher.VerifyDummy(ctx, in.Password)
		return v, errPasswordIncorrect()
	}
	now := s.now()
	if locked, permanent, until := lockState(*u, now); locked {
		return v, errUserLocked(until, now, permanent)
	}
	ok, rehash, err := s.hasher.Verify(ctx, *u.PasswordHasher, *u.PasswordDigest, in.Password)
	if err != nil {
		return v, apperr.Internal(err, "verify password")
	}
	if !ok {
		return v, s.recordFailure(ctx, u.ID)
	}
	var newDigest string
	if rehash || *u.PasswordHasher != password.DefaultHasher {
		newDigest, _ = s.hasher.Hash(ctx, in.Password) // upgrade imported or outdated digests
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(id)
		if err != nil {
			return err
		}
		if si.Status != NeedsFirstFactor {
			return apperr.New(apperr.KindInvalid, "sign_in_status_invalid", "This sign-in cannot do that now.",
				"The sign-in is already "+si.Status+".")
		}
		user, err := tx.LockUser(u.ID)
		if err != nil {
			return err
		}
		user.FailedVerificationAttempts = 0
		if newDigest != "" && user.PasswordDigest != nil && *user.PasswordDigest == *u.PasswordDigest {
			h := password.DefaultHasher
			user.PasswordDigest, user.PasswordHasher = &newDigest, &h
		}
		strategy := StrategyPassword
		si.FirstFactorStrategy, si.FirstFactorStatus = &strategy, strp("verified")
		return s.completeSignIn(tx, &si, &user, StrategyPassword)
	})
	if err != nil {
		return v, translate(err)
	}
	return s.GetSignIn(ctx, clientID, id)
}

// recordFailure counts a failed verification and locks the user at the limit.
func (s *Service) recordFailure(ctx context.Context, userID string) error {
	max := s.settings.LockoutMaxAttempts
	var lockedUntil *time.Time
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		u.FailedVerificationAttempts++
		if max > 0 && u.FailedVerificationAttempts >= max {
			until := s.now().Add(s.settings.LockoutDuration)
			u.LockoutUntil, u.FailedVerificationAttempts, lockedUntil = &until, 0, &until
		}
		return tx.SaveUser(u)
	})
	if err != nil {
		return translate(err)
	}
	if lockedUntil != nil {
		return errUserLocked(*lockedUntil, s.now(), false)
	}
	return errPasswordIncorrect()
}
