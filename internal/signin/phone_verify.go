package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// userPhone finds one of the user's phone numbers, in tx when tx is not nil.
func (s *Service) userPhone(ctx context.Context, tx *store.Tx, userID, identID string) (store.Identification, error) {
	var (
		u   store.User
		err error
	)
	if tx != nil {
		u, err = tx.LockUser(userID)
	} else {
		u, err = s.store.GetUser(ctx, userID)
	}
	if err != nil {
		return store.Identification{}, translate(err)
	}
	for _, idn := range u.Identifications {
		if idn.ID == identID && idn.Type == store.TypePhone {
			return idn, nil
		}
	}
	return store.Identification{}, apperr.NotFound()
}

// PreparePhoneVerification texts a code to a number a signed-in user added.
// The SMS allowlist applies: a number outside it cannot be verified.
func (s *Service) PreparePhoneVerification(ctx context.Context, clientID, userID, identID, ip string) error {
	idn, err := s.userPhone(ctx, nil, userID, identID)
	if err != nil {
		return err
	}
	if idn.Verified {
		return errVerificationUsed()
	}
	if err := s.CheckSMSCountry("phone_number", idn.Identifier); err != nil {
		return err
	}
	if err := s.limitSMS(ctx, ip, idn.Identifier); err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		_, err := s.SendPhoneCode(ctx, tx, PhoneCode{ClientID: clientID, Strategy: StrategyPhoneCode, Number: idn.Identifier,
			To: idn.Identifier, IdentificationID: &idn.ID, Kind: notify.KindVerificationCode})
		return err
	})
	if err != nil {
		return translate(err)
	}
	s.KickSMS()
	return nil
}

// AttemptPhoneVerification checks the code texted for an added number; a
// right one marks the number verified. Wrong codes count on the
// verification row (MaxCodeAttempts), so the limit holds on every replica.
func (s *Service) AttemptPhoneVerification(ctx context.Context, userID, identID, code, ip string) error {
	idn, err := s.userPhone(ctx, nil, userID, identID)
	if err != nil {
		return err
	}
	if idn.Verified {
		return errVerificationUsed()
	}
	if code == "" {
		return apperr.ParamMissing("code")
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return err
	}
	latest, err := s.store.LatestVerificationFor(ctx, identID)
	if err != nil || latest.Strategy != StrategyPhoneCode {
		return apperr.New(apperr.KindInvalid, "verification_missing", "Request a code first.", "Send a verification code first.")
	}
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		ver, err := tx.LockVerification(latest.ID)
		if err != nil {
			return err
		}
		ok, cerr := s.checkCode(&ver, code, false)
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		if cerr != nil || !ok {
			outcome = refusal(cerr, ver, errCodeIncorrect())
			return nil
		}
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		return markVerified(tx, &u, identID)
	})
	if err != nil {
		return translate(err)
	}
	return outcome
}

// SendPhoneCodeToVerified texts a fresh 6-digit code to one of a user's
// verified phone numbers, for phone_code as a second factor. It runs in the
// caller's transaction (which links the returned verification to its sign-in)
// and returns the verification holding the code's hash; check a presented
// code with checkCode(&ver, code, false) and save the verification, which
// counts wrong attempts in Postgres. The SMS allowlist applies; the rate
// limits are the caller's to apply before its transaction (limitSMS: the
// limiter writes through a connection of its own). Call KickSMS after the
// commit.
func (s *Service) SendPhoneCodeToVerified(ctx context.Context, tx *store.Tx, clientID, userID, phoneNumberID string) (store.Verification, error) {
	idn, err := s.userPhone(ctx, tx, userID, phoneNumberID)
	if err != nil {
		return store.Verification{}, err
	}
	if !idn.Verified {
		return store.Verification{}, apperr.New(apperr.KindInvalid, "phone_number_not_verified", "This phone number is not verified.",
			"Only a verified phone number can receive second-factor codes.")
	}
	if err := s.CheckSMSCountry("phone_number", idn.Identifier); err != nil {
		return store.Verification{}, err
	}
	return s.SendPhoneCode(ctx, tx, PhoneCode{ClientID: clientID, Strategy: StrategyPhoneCode, Number: idn.Identifier,
		To: idn.Identifier, IdentificationID: &idn.ID, Kind: notify.KindSignInCode})
}

// PendingPhoneVerification is the newest code sent to verify an added
// number (nil when none was sent or the number is verified), with an
// expired code reported as expired, for the phone number object.
func (s *Service) PendingPhoneVerification(ctx context.Context, idn store.Identification) *store.Verification {
	if idn.Verified || idn.Type != store.TypePhone {
		return nil
	}
	ver, err := s.store.LatestVerificationFor(ctx, idn.ID)
	if err != nil || ver.Strategy != StrategyPhoneCode {
		return nil
	}
	s.expire(&ver)
	return &ver
}
