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
