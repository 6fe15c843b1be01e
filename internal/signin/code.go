package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

func errCodeIncorrect() error {
	return apperr.New(apperr.KindInvalid, "form_code_incorrect", "Incorrect code", "The code you entered is incorrect.").WithParam("code")
}

func errVerificationExpired() error {
	return apperr.New(apperr.KindInvalid, "verification_expired", "This verification has expired.",
		"This code has expired. Request a new one.")
}

func errVerificationFailed() error {
	return apperr.New(apperr.KindInvalid, "verification_failed", "Too many failed attempts.",
		"Too many incorrect codes. Request a new code.")
}

// refusal is the error for a code or signature that was not accepted: the
// check's own error (expired, too many attempts), the verification's end
// once it has failed, or else wrong (an incorrect code or signature).
func refusal(cerr error, ver store.Verification, wrong error) error {
	switch {
	case cerr != nil:
		return cerr
	case ver.Status == "failed":
		return errVerificationFailed()
	}
	return wrong
}

func errVerificationUsed() error {
	return apperr.New(apperr.KindInvalid, "verification_already_verified", "This code has already been used.",
		"This code has already been used.")
}

// checkCode checks a presented code against a locked verification and
// records the outcome on it. It reports whether the code is right. Every
// wrong code counts; after MaxCodeAttempts the code is dead. A stand-in
// verification (for an identifier that matches nobody) never accepts a code.
func (s *Service) checkCode(ver *store.Verification, code string, standIn bool) (ok bool, err error) {
	switch {
	case ver.Status == "verified":
		return false, errVerificationUsed()
	case ver.Status == "failed" || ver.Attempts >= MaxCodeAttempts:
		return false, errVerificationFailed()
	case !ver.ExpireAt.After(s.now()):
		ver.Status = "expired"
		return false, errVerificationExpired()
	}
	if len(code) > 16 || !s.secrets.Equal(code, ver.SecretHash) || standIn {
		ver.Attempts++
		if ver.Attempts >= MaxCodeAttempts {
			ver.Status = "failed"
		}
		return false, nil
	}
	now := s.now()
	ver.Status, ver.VerifiedAt = "verified", &now
	return true, nil
}

// lockFirstFactor locks, inside tx, a sign-in waiting for its first factor
// and the verification prepared for strategy. refused is the client's
// error when the sign-in is past that step (or missing, when nothing was
// prepared for strategy); err is a storage failure.
func lockFirstFactor(tx *store.Tx, id, strategy string, missing error) (si store.SignIn, ver store.Verification, refused, err error) {
	if si, err = tx.LockSignIn(id); err != nil {
		return si, ver, nil, err
	}
	if si.Status != NeedsFirstFactor {
		return si, ver, errVerificationUsed(), nil
	}
	if si.FirstFactorVerificationID == nil || si.FirstFactorStrategy == nil || *si.FirstFactorStrategy != strategy {
		return si, ver, missing, nil
	}
	ver, err = tx.LockVerification(*si.FirstFactorVerificationID)
	return si, ver, nil, err
}

// attemptCode checks an email or phone code (sign-in) or a password-reset code.
func (s *Service) attemptCode(ctx context.Context, clientID, id string, in AttemptInput) (SignInView, error) {
	if err := s.limit(ctx, "code", in.IP, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	if in.Code == "" {
		return SignInView{}, apperr.ParamMissing("code")
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsFirstFactor)
	if err != nil {
		return v, err
	}
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, ver, refused, err := lockFirstFactor(tx, id, in.Strategy, apperr.New(apperr.KindInvalid, "verification_missing",
			"Request a code first.", "Call prepare_first_factor with this strategy before attempting it."))
		if err != nil || refused != nil {
			outcome = refused
			return err
		}
		ok, cerr := s.checkCode(&ver, in.Code, ver.IdentificationID == nil || si.UserID == nil)
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		if cerr != nil || !ok {
			outcome = refusal(cerr, ver, errCodeIncorrect())
			return nil
		}
		si.FirstFactorStatus, si.UpdatedAt = strp("verified"), s.now()
		u, err := tx.LockUser(*si.UserID)
		if err != nil {
			return err
		}
		if err := markVerified(tx, &u, *ver.IdentificationID); err != nil {
			return err
		}
		if in.Strategy == StrategyResetPasswordEmailCode {
			si.Status = NeedsNewPassword
			return tx.SaveSignIn(si)
		}
		u.FailedVerificationAttempts = 0
		return s.completeSignIn(tx, &si, &u, in.Strategy)
	})
	if err != nil {
		return v, translate(err)
	}
	if outcome != nil {
		return v, outcome
	}
	return s.GetSignIn(ctx, clientID, id)
}

// markVerified records that a code or link proved control of an address.
func markVerified(tx *store.Tx, u *store.User, identID string) error {
	for i := range u.Identifications {
		idn := &u.Identifications[i]
		if idn.ID == identID && !idn.Verified {
			strategy := StrategyEmailCode
			if idn.Type == store.TypePhone {
				strategy = StrategyPhoneCode
			}
			idn.Verified, idn.Reserved, idn.VerificationStrategy = true, false, &strategy
			return tx.SaveIdentification(*idn)
		}
	}
	return nil
}
