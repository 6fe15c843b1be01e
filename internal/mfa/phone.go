package mfa

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// PhoneSettings changes how a phone number serves as a second factor (the
// frontend API's PATCH /v1/me/phone_numbers/{id}, the account page). Nil
// fields are left alone.
type PhoneSettings struct {
	Reserved *bool // reserved_for_second_factor: texted codes at sign-in
	Default  *bool // default_second_factor: the number offered first (true implies reserved, unless Reserved says false)
}

// SetPhoneSecondFactor applies s to the user's phone number identID in one
// transaction: only a verified number can be reserved, one number at most is
// the default, and when the last second factor goes the backup codes go
// with it. It returns the number as saved.
func (s *Service) SetPhoneSecondFactor(ctx context.Context, userID, identID string, in PhoneSettings) (store.Identification, error) {
	on := (in.Reserved != nil && *in.Reserved) || (in.Default != nil && *in.Default)
	if on && !s.settings.Factors.PhoneCode {
		return store.Identification{}, errDisabled("phone_code")
	}
	var out store.Identification
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		idx := -1
		for i, idn := range u.Identifications {
			if idn.ID == identID && idn.Type == store.TypePhone {
				idx = i
			}
		}
		if idx < 0 {
			return apperr.NotFound()
		}
		target := &u.Identifications[idx]
		if on && !target.Verified {
			return apperr.New(apperr.KindInvalid, "phone_number_not_verified", "This phone number is not verified.",
				"Verify this phone number before using it for two-step verification.")
		}
		now := s.now()
		if in.Default != nil {
			target.DefaultSecondFactor = *in.Default
			target.ReservedForSecondFactor = target.ReservedForSecondFactor || *in.Default
		}
		if in.Reserved != nil {
			target.ReservedForSecondFactor = *in.Reserved
		}
		if !target.ReservedForSecondFactor { // a released number is nobody's default
			target.DefaultSecondFactor = false
		}
		target.UpdatedAt = now
		for i := range u.Identifications {
			other := &u.Identifications[i]
			if i != idx && target.DefaultSecondFactor && other.DefaultSecondFactor {
				other.DefaultSecondFactor, other.UpdatedAt = false, now
				if err := tx.SaveIdentification(*other); err != nil {
					return err
				}
			}
		}
		if err := tx.SaveIdentification(*target); err != nil {
			return err
		}
		out = *target
		if (u.TOTPEnabled && s.settings.Factors.TOTP) || s.hasOtherFactor(u) {
			return nil
		}
		_, err = tx.DeleteBackupCodes(userID) // no second factor left for them to stand in for
		return err
	})
	return out, translate(err)
}
