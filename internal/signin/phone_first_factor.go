package signin

import (
	"context"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// phoneFactors offers phone_code when the identifier typed is a phone
// number. Like the email factors it depends only on the settings and the
// identifier, never on whether an account has that number: the number shown
// is the one typed, and phone_number_id is an opaque handle derived from it.
func (s *Service) phoneFactors(si store.SignIn, u *store.User) []Factor {
	if !s.strategyEnabled(StrategyPhoneCode) || si.Identifier == nil || !strings.HasPrefix(*si.Identifier, "+") {
		return nil
	}
	typed := *si.Identifier
	f := Factor{Strategy: StrategyPhoneCode, SafeIdentifier: typed, Primary: true,
		PhoneNumberID: ids.Derive(ids.Identification, s.secrets.Hash("factor-phone:"+typed))}
	if u != nil {
		for _, idn := range u.Identifications {
			// A number reserved for the second factor is no first factor:
			// it is treated like a number of nobody (no text, no code accepted).
			if idn.Type == store.TypePhone && idn.Identifier == typed && !idn.ReservedForSecondFactor {
				f.identificationID = idn.ID
				f.Primary = u.PrimaryPhoneNumberID != nil && *u.PrimaryPhoneNumberID == idn.ID
			}
		}
		if f.identificationID == "" {
			f.Primary = true // as a stand-in shows it
		}
	}
	return []Factor{f}
}

// preparePhoneFirstFactor texts a sign-in code to the number typed. For a
// number that matches nobody it makes a verification and sends nothing.
func (s *Service) preparePhoneFirstFactor(ctx context.Context, clientID, id string, in PrepareInput) (SignInView, error) {
	if !s.strategyEnabled(StrategyPhoneCode) {
		return SignInView{}, strategyInvalid()
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsFirstFactor)
	if err != nil {
		return v, err
	}
	var factor *Factor
	for i := range v.Factors {
		if v.Factors[i].Strategy == StrategyPhoneCode {
			factor = &v.Factors[i]
		}
	}
	if factor == nil {
		return v, strategyInvalid()
	}
	if in.PhoneNumberID != "" && in.PhoneNumberID != factor.PhoneNumberID {
		return v, apperr.ParamValueInvalid("phone_number_id", "phone_number_id is not a phone number of this sign-in.")
	}
	// The allowlist applies to the number typed, real or not, so the answer
	// says nothing about whether an account has it.
	if err := s.CheckSMSCountry("phone_number", factor.SafeIdentifier); err != nil {
		return v, err
	}
	if err := s.limitSMS(ctx, in.IP, factor.SafeIdentifier); err != nil {
		return v, err
	}
	code := PhoneCode{ClientID: clientID, Strategy: StrategyPhoneCode, Number: factor.SafeIdentifier, Kind: notify.KindSignInCode}
	if v.User != nil && factor.identificationID != "" {
		code.To, code.IdentificationID = factor.SafeIdentifier, &factor.identificationID
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(id)
		if err != nil {
			return err
		}
		ver, err := s.SendPhoneCode(ctx, tx, code)
		if err != nil {
			return err
		}
		si.FirstFactorVerificationID, si.FirstFactorStrategy, si.UpdatedAt = &ver.ID, strp(StrategyPhoneCode), s.now()
		return tx.SaveSignIn(si)
	})
	if err != nil {
		return v, translate(err)
	}
	s.KickSMS()
	return s.GetSignIn(ctx, clientID, id)
}
