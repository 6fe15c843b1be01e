package identity

import (
	"context"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// AddIdentificationInput is the body of POST /v1/email_addresses and
// POST /v1/phone_numbers (Type is set by the handler, not the body).
type AddIdentificationInput struct {
	Type                    string `json:"-"`
	UserID                  string `json:"user_id"`
	EmailAddress            string `json:"email_address"`
	PhoneNumber             string `json:"phone_number"`
	Verified                *bool  `json:"verified"`
	Primary                 *bool  `json:"primary"`
	ReservedForSecondFactor *bool  `json:"reserved_for_second_factor"`
	NotifyPrimaryChanged    *bool  `json:"notify_primary_email_address_changed"`
	// BySelf: the user adds it (account page, /v1/me), so the allowlist
	// applies; the operator (Backend API) is bound only by the blocks.
	BySelf bool `json:"-"`
}

// UpdateIdentificationInput is the body of PATCH on one of them.
type UpdateIdentificationInput struct {
	Verified                *bool `json:"verified"`
	Primary                 *bool `json:"primary"`
	ReservedForSecondFactor *bool `json:"reserved_for_second_factor"`
	NotifyPrimaryChanged    *bool `json:"notify_primary_email_address_changed"`
}

func paramFor(typ string) string {
	if typ == store.TypePhone {
		return "phone_number"
	}
	return "email_address"
}

func primaryOf(u *store.User, typ string) **string {
	if typ == store.TypePhone {
		return &u.PrimaryPhoneNumberID
	}
	return &u.PrimaryEmailAddressID
}

// AddIdentification adds an email address or phone number to a user. It is
// unverified unless verified is true, and becomes primary when asked or when
// it is the user's first of its kind.
func (s *Service) AddIdentification(ctx context.Context, in AddIdentificationInput) (store.Identification, error) {
	param := paramFor(in.Type)
	raw := in.EmailAddress
	enabled := s.rules.Identifiers.EmailAddress.Enabled
	// One input type serves both endpoints; a field of the other one is unknown here.
	if in.Type == store.TypePhone {
		raw, enabled = in.PhoneNumber, s.rules.Identifiers.PhoneNumber.Enabled
		if in.EmailAddress != "" {
			return store.Identification{}, apperr.UnknownParam("email_address")
		}
	} else if in.ReservedForSecondFactor != nil {
		return store.Identification{}, apperr.UnknownParam("reserved_for_second_factor")
	} else if in.PhoneNumber != "" {
		return store.Identification{}, apperr.UnknownParam("phone_number")
	}
	if in.UserID == "" {
		return store.Identification{}, apperr.ParamMissing("user_id")
	}
	if strings.IndexByte(in.UserID, 0) >= 0 {
		return store.Identification{}, apperr.NotFound() // no id has one, and Postgres text cannot hold it
	}
	if raw == "" {
		return store.Identification{}, apperr.ParamMissing(param)
	}
	if !enabled {
		return store.Identification{}, identifierDisabled(param)
	}
	norm, err := normalizeIdentifier(in.Type, param, raw)
	if err != nil {
		return store.Identification{}, err
	}
	purpose := ForAdmin
	if in.BySelf {
		purpose = ForAddition
	}
	if err := s.policy.Check(ctx, purpose, in.Type, norm); err != nil {
		return store.Identification{}, err
	}
	idn, err := s.store.AddIdentification(ctx, in.UserID, func(u *store.User) (store.Identification, error) {
		now := s.now()
		idn := store.Identification{
			ID: ids.New(ids.Identification), UserID: u.ID, Type: in.Type, Identifier: norm,
			CreatedAt: now, UpdatedAt: now,
		}
		if in.Verified != nil && *in.Verified {
			idn.Verified, idn.VerificationStrategy = true, strPtr("admin")
		}
		// What a user adds to their own account is theirs once proven; until
		// then it is only a claim (store.ClaimTTL).
		idn.Claim = in.BySelf && !idn.Verified
		if in.ReservedForSecondFactor != nil {
			idn.ReservedForSecondFactor = *in.ReservedForSecondFactor
		}
		if p := primaryOf(u, in.Type); *p == nil || (in.Primary != nil && *in.Primary) {
			*p = &idn.ID
		}
		u.UpdatedAt = now
		return idn, nil
	})
	return idn, translate(err)
}

// GetIdentification returns one email address or phone number of type typ.
func (s *Service) GetIdentification(ctx context.Context, typ, id string) (store.Identification, error) {
	idn, err := s.store.GetIdentification(ctx, id)
	if err == nil && idn.Type != typ {
		return store.Identification{}, apperr.NotFound()
	}
	return idn, translate(err)
}

// UpdateIdentification marks an identification verified or not, and makes it primary.
func (s *Service) UpdateIdentification(ctx context.Context, typ, id string, in UpdateIdentificationInput) (store.Identification, error) {
	if typ == store.TypeEmail && in.ReservedForSecondFactor != nil {
		return store.Identification{}, apperr.UnknownParam("reserved_for_second_factor")
	}
	idn, err := s.store.UpdateIdentification(ctx, id, func(u *store.User, idn *store.Identification) error {
		if idn.Type != typ {
			return apperr.NotFound()
		}
		now := s.now()
		if in.Verified != nil && *in.Verified != idn.Verified {
			idn.Verified = *in.Verified
			idn.VerificationStrategy = nil
			if idn.Verified {
				idn.VerificationStrategy, idn.Reserved = strPtr("admin"), false
			}
		}
		if in.ReservedForSecondFactor != nil {
			idn.ReservedForSecondFactor = *in.ReservedForSecondFactor
		}
		if in.Primary != nil && *in.Primary {
			*primaryOf(u, typ) = &idn.ID
		}
		idn.UpdatedAt, u.UpdatedAt = now, now
		return nil
	})
	return idn, translate(err)
}

// DeleteIdentification removes an email address or phone number. A user
// keeps a primary: the primary can go only when it is the last of its kind,
// and the last one of a required kind cannot go at all.
func (s *Service) DeleteIdentification(ctx context.Context, typ, id string) error {
	err := s.store.DeleteIdentification(ctx, id, func(u *store.User, idn store.Identification) error {
		if idn.Type != typ {
			return apperr.NotFound()
		}
		param := paramFor(typ)
		remaining := countType(*u, typ) - 1
		required := s.rules.Identifiers.EmailAddress.Required
		if typ == store.TypePhone {
			required = s.rules.Identifiers.PhoneNumber.Required
		}
		if remaining == 0 && required {
			return apperr.New(apperr.KindInvalid, "last_required_identification_deletion_failed",
				"You can't delete your last "+param+".",
				"A "+param+" is required on this instance, and this is the user's last one.").WithParam(param)
		}
		primary := primaryOf(u, typ)
		if *primary != nil && **primary == idn.ID {
			if remaining > 0 {
				return apperr.New(apperr.KindInvalid, "primary_identification_deletion_failed",
					"You can't delete a primary "+param+".",
					"Set another "+param+" as primary before deleting this one.").WithParam(param)
			}
			*primary = nil
		}
		if remaining == 0 && u.Username == nil && len(u.Identifications) == 1 {
			return apperr.New(apperr.KindInvalid, "last_identification_deletion_failed",
				"You can't delete your last identifier.",
				"This is the user's only identifier; deleting it would leave no way to sign in.").WithParam(param)
		}
		u.UpdatedAt = s.now()
		return nil
	})
	return translate(err)
}
