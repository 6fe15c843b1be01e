package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// preparePhoneSignUp texts a code to the sign-up's phone number.
func (s *Service) preparePhoneSignUp(ctx context.Context, clientID, id, ip string) (SignUpView, error) {
	if !s.strategyEnabled(StrategyPhoneCode) {
		return SignUpView{}, apperr.ParamValueInvalid("strategy", "phone_code is not enabled on this instance.")
	}
	v, err := s.GetSignUp(ctx, clientID, id)
	if err != nil {
		return v, err
	}
	if v.SignUp.Status != MissingRequirements {
		return v, errSignUpClosed(v.SignUp.Status)
	}
	if v.SignUp.PhoneNumber == nil {
		return v, apperr.ParamMissing("phone_number")
	}
	if v.SignUp.PhoneVerifiedAt != nil {
		return v, errVerificationUsed()
	}
	to := *v.SignUp.PhoneNumber
	if err := s.CheckSMSCountry("phone_number", to); err != nil {
		return v, err
	}
	if err := s.limitSMS(ctx, ip, to); err != nil {
		return v, err
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		su, err := tx.LockSignUp(id)
		if err != nil {
			return err
		}
		if su.Status != MissingRequirements || su.PhoneNumber == nil || *su.PhoneNumber != to {
			return errSignUpClosed(su.Status)
		}
		ver, err := s.SendPhoneCode(ctx, tx, PhoneCode{ClientID: clientID, Strategy: StrategyPhoneCode, Number: to, To: to,
			Kind: notify.KindVerificationCode})
		if err != nil {
			return err
		}
		su.PhoneVerificationID, su.UpdatedAt = &ver.ID, s.now()
		return tx.SaveSignUp(su)
	})
	if err != nil {
		return v, translate(err)
	}
	s.KickSMS()
	return s.GetSignUp(ctx, clientID, id)
}

// attemptPhoneSignUp checks the texted code; a right code verifies the
// number and completes the sign-up if nothing else is missing.
func (s *Service) attemptPhoneSignUp(ctx context.Context, clientID, id, code, ip string) (SignUpView, error) {
	if code == "" {
		return SignUpView{}, apperr.ParamMissing("code")
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignUpView{}, err
	}
	if _, err := s.GetSignUp(ctx, clientID, id); err != nil {
		return SignUpView{}, err
	}
	var outcome error
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		su, err := tx.LockSignUp(id)
		if err != nil {
			return err
		}
		if su.Status != MissingRequirements {
			outcome = errVerificationUsed()
			return nil
		}
		if su.PhoneVerificationID == nil {
			outcome = apperr.New(apperr.KindInvalid, "verification_missing", "Request a code first.",
				"Call prepare_verification with strategy phone_code before attempting it.")
			return nil
		}
		ver, err := tx.LockVerification(*su.PhoneVerificationID)
		if err != nil {
			return err
		}
		ok, cerr := s.checkCode(&ver, code, false)
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		if cerr != nil || !ok {
			outcome = codeOutcome(cerr, ver)
			return nil
		}
		su.PhoneVerifiedAt, su.UpdatedAt = ver.VerifiedAt, s.now()
		if err := tx.SaveSignUp(su); err != nil {
			return err
		}
		return s.tryCompleteSignUp(tx, &su)
	})
	if err != nil {
		return SignUpView{}, translate(err)
	}
	if outcome != nil {
		return SignUpView{}, outcome
	}
	return s.GetSignUp(ctx, clientID, id)
}

// codeOutcome is the error for a code checkCode did not accept.
func codeOutcome(cerr error, ver store.Verification) error {
	if cerr != nil {
		return cerr
	}
	if ver.Status == "failed" {
		return errVerificationFailed()
	}
	return errCodeIncorrect()
}
