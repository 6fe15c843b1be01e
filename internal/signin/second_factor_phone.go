package signin

import (
	"context"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// phone_code as a second factor: an SMS code to one of the user's verified
// phone numbers reserved for the second factor (reserved_for_second_factor,
// set by the Backend API's PATCH /v1/phone_numbers/{id} or the account page).

// SecondFactorSMS texts second-factor codes. The engine's own SMS channel
// (SendPhoneCodeToVerified, KickSMS) is one; until it is connected with
// UsePhoneSecondFactor, phone_code is never offered as a second factor.
type SecondFactorSMS interface {
	// SendPhoneCodeToVerified texts a fresh code to the user's verified
	// number phoneNumberID in the caller's transaction and returns the
	// verification holding the code's hash.
	SendPhoneCodeToVerified(ctx context.Context, tx *store.Tx, clientID, userID, phoneNumberID string) (store.Verification, error)
	// KickSMS wakes the delivery worker after the commit.
	KickSMS()
}

// UsePhoneSecondFactor connects the engine to the sender of SMS codes.
func (s *Service) UsePhoneSecondFactor(t SecondFactorSMS) { s.sms2fa = t }

// phoneSecondFactors offers phone_code for each verified number the user
// reserved for the second factor, the default one first.
func (s *Service) phoneSecondFactors(u *store.User) []SecondFactor {
	if !s.settings.Auth.SecondFactors.PhoneCode || s.sms2fa == nil {
		return nil
	}
	var out []SecondFactor
	for _, idn := range u.Identifications {
		if idn.Type != store.TypePhone || !idn.Verified || !idn.ReservedForSecondFactor {
			continue
		}
		f := SecondFactor{Strategy: StrategyPhoneCode, SafeIdentifier: maskPhone(idn.Identifier),
			PhoneNumberID: idn.ID, Primary: idn.DefaultSecondFactor}
		if f.Primary {
			out = append([]SecondFactor{f}, out...)
		} else {
			out = append(out, f)
		}
	}
	return out
}

// userPhoneNumber is the number of the user's phone identification id.
func userPhoneNumber(u *store.User, id string) string {
	if u != nil {
		for _, idn := range u.Identifications {
			if idn.ID == id {
				return idn.Identifier
			}
		}
	}
	return ""
}

// maskPhone shows only a number's last two digits, as Clerk's
// safe_identifier does for a second-factor number: whoever reached this
// step knows the first factor, which may be a leaked password.
func maskPhone(e164 string) string {
	if len(e164) <= 3 {
		return strings.Repeat("*", len(e164))
	}
	return "+" + strings.Repeat("*", len(e164)-3) + e164[len(e164)-2:]
}

// preparePhoneSecondFactor texts a code to the chosen (or the default)
// reserved number. The new verification inherits the attempts already made
// on the sign-in's second factor, so sending codes does not buy guesses.
func (s *Service) preparePhoneSecondFactor(ctx context.Context, v SignInView, in PrepareSecondInput) (SignInView, error) {
	var factor *SecondFactor
	for i := range v.SecondFactors {
		f := &v.SecondFactors[i]
		if f.Strategy == StrategyPhoneCode && (in.PhoneNumberID == "" || in.PhoneNumberID == f.PhoneNumberID) && factor == nil {
			factor = f
		}
	}
	if factor == nil {
		if in.PhoneNumberID != "" && len(s.phoneSecondFactors(v.User)) > 0 {
			return v, apperr.ParamValueInvalid("phone_number_id", "phone_number_id is not a number reserved for this account's second factor.")
		}
		return v, s.secondStrategyInvalid(StrategyPhoneCode)
	}
	// The text limits count before the transaction: the limiter needs a
	// connection of its own.
	if err := s.limitSMS(ctx, in.IP, userPhoneNumber(v.User, factor.PhoneNumberID)); err != nil {
		return v, err
	}
	var outcome error
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(v.SignIn.ID)
		if err != nil {
			return err
		}
		if si.Status != NeedsSecondFactor || si.UserID == nil {
			outcome = errVerificationUsed()
			return nil
		}
		attempts := 0
		if si.SecondFactorVerificationID != nil {
			old, err := tx.LockVerification(*si.SecondFactorVerificationID)
			if err != nil {
				return err
			}
			if old.Status == "failed" || old.Attempts >= MaxCodeAttempts {
				outcome = errSecondFactorFailed()
				return nil
			}
			attempts = old.Attempts
		}
		ver, err := s.sms2fa.SendPhoneCodeToVerified(ctx, tx, si.ClientID, *si.UserID, factor.PhoneNumberID)
		if err != nil {
			return err
		}
		if attempts > 0 {
			ver.Attempts = attempts
			if err := tx.SaveVerification(ver); err != nil {
				return err
			}
		}
		si.SecondFactorVerificationID, si.UpdatedAt = &ver.ID, s.now()
		return tx.SaveSignIn(si)
	})
	if err != nil {
		return v, translate(err)
	}
	if outcome != nil {
		return v, outcome
	}
	s.sms2fa.KickSMS()
	return s.GetSignIn(ctx, v.SignIn.ClientID, v.SignIn.ID)
}

func errPhoneCodeNotSent() error {
	return apperr.New(apperr.KindInvalid, "verification_missing", "No code was sent",
		"Send a code with prepare_second_factor (strategy phone_code) first.")
}

// checkPhoneSecondFactor compares code with the texted code of ver, the
// sign-in's second-factor verification. A wrong code is reported as
// (false, nil) and counted by the caller like any wrong second factor;
// outcome is set when there is nothing to compare with.
func (s *Service) checkPhoneSecondFactor(ver *store.Verification, code string, now time.Time) (ok bool, outcome error) {
	if len(ver.SecretHash) == 0 || ver.IdentificationID == nil {
		return false, errPhoneCodeNotSent()
	}
	if !ver.ExpireAt.After(now) {
		ver.Status = "expired"
		return false, errVerificationExpired()
	}
	return len(code) <= 16 && s.secrets.Equal(code, ver.SecretHash), nil
}
