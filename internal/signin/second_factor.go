package signin

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Second-factor strategies. A sign-in whose user has enrolled one of them
// stops at needs_second_factor after the first factor.
const (
	StrategyTOTP       = "totp"
	StrategyBackupCode = "backup_code"
	// StrategyPhoneCode (phone.go) is also a second factor: an SMS code to
	// a verified phone number reserved for it (second_factor_phone.go).
)

// SecondFactorChecker checks second-factor codes in the sign-in's
// transaction (internal/mfa), so a spent code and a completed sign-in commit
// together.
type SecondFactorChecker interface {
	CheckTOTP(tx *store.Tx, userID, code string) (bool, error)
	UseBackupCode(tx *store.Tx, userID, code string) (bool, error)
}

// UseSecondFactors connects the engine to the checker of second factors.
func (s *Service) UseSecondFactors(c SecondFactorChecker) { s.mfa = c }

// SecondFactor is one way to complete a sign-in's second factor. For
// phone_code, PhoneNumberID is the number's id (shown as phone_number_id:
// the user is known by now) and SafeIdentifier the number, masked.
type SecondFactor struct {
	Strategy       string
	SafeIdentifier string
	PhoneNumberID  string
	Primary        bool // the user's default second factor
}

// secondFactors lists the second factors a user can complete a sign-in with:
// the strategies switched on that the user has enrolled. Backup codes are
// offered only beside another factor: they are its fallback.
func (s *Service) secondFactors(u *store.User) []SecondFactor {
	if u == nil || s.mfa == nil {
		return nil
	}
	sf := s.settings.Auth.SecondFactors
	var out []SecondFactor
	if sf.TOTP && u.TOTPEnabled {
		out = append(out, SecondFactor{Strategy: StrategyTOTP})
	}
	out = append(out, s.phoneSecondFactors(u)...)
	if len(out) > 0 && sf.BackupCode && u.BackupCodeEnabled {
		out = append(out, SecondFactor{Strategy: StrategyBackupCode})
	}
	return out
}

// secondFactorDue reports whether a sign-in that proved its first factor
// must still prove a second one. A passkey is already two factors (a device
// and its unlock), as in Clerk.
func (s *Service) secondFactorDue(si store.SignIn, u store.User, strategy string) bool {
	return si.Status != NeedsSecondFactor && strategy != StrategyPasskey && len(s.secondFactors(&u)) > 0
}

// awaitSecondFactor parks a sign-in at needs_second_factor, keeping what
// the first factor changed on the user (a reset or upgraded password, the
// password's failure count). Wrong second-factor codes are counted apart
// (mfa_failures), so passing the first factor again clears nothing.
func (s *Service) awaitSecondFactor(tx *store.Tx, si *store.SignIn, u *store.User) error {
	si.Status, si.UpdatedAt = NeedsSecondFactor, s.now()
	if err := tx.SaveSignIn(*si); err != nil {
		return err
	}
	return tx.SaveUser(*u)
}

// viewSecondFactor adds the second-factor part of a sign-in's view.
func (s *Service) viewSecondFactor(ctx context.Context, v *SignInView) {
	if v.SignIn.SecondFactorVerificationID != nil {
		if ver, err := s.store.GetVerification(ctx, *v.SignIn.SecondFactorVerificationID); err == nil {
			v.SecondVerification = &ver
		}
	}
	if v.SignIn.Status == NeedsSecondFactor {
		v.SecondFactors = s.secondFactors(v.User)
	}
}

// PrepareSecondInput is the body of prepare_second_factor.
type PrepareSecondInput struct {
	Strategy      string
	PhoneNumberID string // phone_code: which reserved number; "" for the default
	IP            string
}

// PrepareSecondFactor starts a second factor that needs a code sent: only
// phone_code (second_factor_phone.go). TOTP and backup codes need none.
func (s *Service) PrepareSecondFactor(ctx context.Context, clientID, id string, in PrepareSecondInput) (SignInView, error) {
	v, err := s.loadForFactor(ctx, clientID, id, NeedsSecondFactor)
	if err != nil {
		return v, err
	}
	switch in.Strategy {
	case StrategyTOTP, StrategyBackupCode:
		return v, apperr.ParamValueInvalid("strategy", in.Strategy+" needs no preparation: attempt it directly.")
	case StrategyPhoneCode:
		return s.preparePhoneSecondFactor(ctx, v, in)
	}
	return v, apperr.ParamValueInvalid("strategy", "strategy must be phone_code.")
}

// secondStrategyInvalid explains why a second factor is not offered: off
// for the instance, or not (or no longer, after an operator's reset) set up
// by this user.
func (s *Service) secondStrategyInvalid(strategy string) error {
	sf := s.settings.Auth.SecondFactors
	on := (strategy == StrategyTOTP && sf.TOTP) || (strategy == StrategyBackupCode && sf.BackupCode) ||
		(strategy == StrategyPhoneCode && sf.PhoneCode && s.sms2fa != nil)
	if !on {
		return strategyInvalid()
	}
	return apperr.New(apperr.KindInvalid, "strategy_for_user_invalid", "Invalid verification strategy",
		"This verification strategy is not set up for this account.").WithParam("strategy")
}

func errSecondFactorFailed() error {
	return apperr.New(apperr.KindInvalid, "verification_failed", "Too many failed attempts.",
		"Too many incorrect codes for this sign-in. Start signing in again.")
}

// AttemptSecondFactor checks a TOTP or backup code and completes the
// sign-in. Wrong codes count twice, both in Postgres so the limits hold on
// every replica: on the sign-in's second-factor verification (MaxCodeAttempts,
// then the sign-in must start over) and on the user (the lockout that also
// counts wrong passwords).
func (s *Service) AttemptSecondFactor(ctx context.Context, clientID, id string, in AttemptInput) (SignInView, error) {
	switch in.Strategy {
	case StrategyTOTP, StrategyBackupCode, StrategyPhoneCode:
	default:
		return SignInView{}, apperr.ParamValueInvalid("strategy", "strategy must be totp, backup_code or phone_code.")
	}
	if err := s.limit(ctx, "code", in.IP, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsSecondFactor)
	if err != nil {
		return v, err
	}
	offered := false
	for _, f := range v.SecondFactors {
		offered = offered || f.Strategy == in.Strategy
	}
	if !offered {
		return v, s.secondStrategyInvalid(in.Strategy)
	}
	if in.Code == "" {
		return v, apperr.ParamMissing("code")
	}
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(id)
		if err != nil {
			return err
		}
		if si.Status != NeedsSecondFactor || si.UserID == nil {
			outcome = errVerificationUsed()
			return nil
		}
		u, err := tx.LockUser(*si.UserID)
		if err != nil {
			return err
		}
		now := s.now()
		if locked, permanent, until := lockState(u, now); locked {
			outcome = errUserLocked(until, now, permanent)
			return nil
		}
		ver, err := s.secondVerification(tx, &si, in.Strategy)
		if err != nil {
			return err
		}
		if ver.Status == "failed" || ver.Attempts >= MaxCodeAttempts {
			outcome = errSecondFactorFailed()
			return nil
		}
		var ok bool
		if in.Strategy == StrategyPhoneCode {
			ok, outcome = s.checkPhoneSecondFactor(&ver, in.Code, now)
			if outcome != nil {
				return tx.SaveVerification(ver)
			}
		} else if ok, err = s.checkSecondFactor(tx, u.ID, in); err != nil {
			return err
		}
		if !ok {
			outcome, err = s.secondFactorFailure(tx, &ver, &u, now)
			return err
		}
		ver.Status, ver.VerifiedAt = "verified", &now
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		if err := tx.ClearMFAFailures(u.ID); err != nil {
			return err
		}
		strategy := StrategyPassword
		if si.FirstFactorStrategy != nil {
			strategy = *si.FirstFactorStrategy
		}
		if err := s.completeSignIn(tx, &si, &u, strategy); err != nil {
			return err
		}
		return tx.MarkSecondFactor(*si.CreatedSessionID, now)
	})
	if err != nil {
		return v, translate(err)
	}
	if outcome != nil {
		return v, outcome
	}
	return s.GetSignIn(ctx, clientID, id)
}

// secondVerification is the sign-in's second-factor verification, made on
// the first attempt; it carries the attempt count and the strategy last tried.
func (s *Service) secondVerification(tx *store.Tx, si *store.SignIn, strategy string) (store.Verification, error) {
	if si.SecondFactorVerificationID != nil {
		ver, err := tx.LockVerification(*si.SecondFactorVerificationID)
		if err != nil {
			return ver, err
		}
		ver.Strategy = strategy
		return ver, nil
	}
	now := s.now()
	ver := store.Verification{ID: ids.New(ids.Verification), ClientID: si.ClientID, Strategy: strategy,
		Status: "unverified", ExpireAt: si.AbandonAt, CreatedAt: now}
	if err := tx.InsertVerification(ver); err != nil {
		return ver, err
	}
	si.SecondFactorVerificationID, si.UpdatedAt = &ver.ID, now
	return ver, tx.SaveSignIn(*si)
}

func (s *Service) checkSecondFactor(tx *store.Tx, userID string, in AttemptInput) (bool, error) {
	if len(in.Code) > 64 {
		return false, nil
	}
	switch in.Strategy {
	case StrategyTOTP:
		return s.mfa.CheckTOTP(tx, userID, in.Code)
	case StrategyBackupCode:
		return s.mfa.UseBackupCode(tx, userID, in.Code)
	}
	return false, nil
}

// secondFactorFailure counts a wrong second-factor code on the sign-in and
// for the user, and returns the error to show. From the lockout limit on,
// every further wrong code locks the user again, so once the limit is
// reached a guesser gets one try per lockout period.
func (s *Service) secondFactorFailure(tx *store.Tx, ver *store.Verification, u *store.User, now time.Time) (outcome, err error) {
	ver.Attempts++
	if ver.Attempts >= MaxCodeAttempts {
		ver.Status = "failed"
	}
	if err := tx.SaveVerification(*ver); err != nil {
		return nil, err
	}
	failures, err := tx.AddMFAFailure(u.ID, now)
	if err != nil {
		return nil, err
	}
	var lockedUntil *time.Time
	if max := s.settings.LockoutMaxAttempts; max > 0 && failures >= max {
		until := now.Add(s.settings.LockoutDuration)
		u.LockoutUntil, lockedUntil = &until, &until
		if err := tx.SaveUser(*u); err != nil {
			return nil, err
		}
	}
	switch {
	case lockedUntil != nil:
		return errUserLocked(*lockedUntil, now, false), nil
	case ver.Status == "failed":
		return errSecondFactorFailed(), nil
	}
	return errCodeIncorrect(), nil
}
