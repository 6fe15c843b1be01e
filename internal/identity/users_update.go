package identity

import (
	"context"
	"encoding/json"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/opt"
	"github.com/latchkey/latchkey/internal/store"
)

// UpdateUserInput is the body of PATCH /v1/users/{id}. Absent fields are left
// alone; a null clears the nullable ones. Metadata given here replaces the
// stored object (PATCH .../metadata merges instead).
type UpdateUserInput struct {
	FirstName                 opt.Value[string]          `json:"first_name"`
	LastName                  opt.Value[string]          `json:"last_name"`
	Locale                    opt.Value[string]          `json:"locale"`
	Username                  opt.Value[string]          `json:"username"`
	ExternalID                opt.Value[string]          `json:"external_id"`
	PrimaryEmailAddressID     opt.Value[string]          `json:"primary_email_address_id"`
	PrimaryPhoneNumberID      opt.Value[string]          `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID       opt.Value[string]          `json:"primary_web3_wallet_id"`
	NotifyPrimaryEmailChanged *bool                      `json:"notify_primary_email_address_changed"`
	Password                  *string                    `json:"password"`
	PasswordDigest            *string                    `json:"password_digest"`
	PasswordHasher            *string                    `json:"password_hasher"`
	SkipPasswordChecks        bool                       `json:"skip_password_checks"`
	SignOutOfOtherSessions    bool                       `json:"sign_out_of_other_sessions"`
	PublicMetadata            opt.Value[json.RawMessage] `json:"public_metadata"`
	PrivateMetadata           opt.Value[json.RawMessage] `json:"private_metadata"`
	UnsafeMetadata            opt.Value[json.RawMessage] `json:"unsafe_metadata"`
	TOTPSecret                *string                    `json:"totp_secret"`
	BackupCodes               []string                   `json:"backup_codes"`
	ProfileImageID            *string                    `json:"profile_image_id"`
	DeleteSelfEnabled         *bool                      `json:"delete_self_enabled"`
	CreateOrgEnabled          *bool                      `json:"create_organization_enabled"`
	CreateOrgsLimit           opt.Value[int]             `json:"create_organizations_limit"`
	LegalAcceptedAt           opt.Value[string]          `json:"legal_accepted_at"`
	SkipLegalChecks           bool                       `json:"skip_legal_checks"`
	CreatedAt                 *string                    `json:"created_at"`
	BypassClientTrust         *bool                      `json:"bypass_client_trust"`
}

// UpdateUser applies a PATCH. Everything is validated before the row is
// locked, except what depends on the stored user.
func (s *Service) UpdateUser(ctx context.Context, id string, in UpdateUserInput) (store.User, error) {
	mfaGiven := in.TOTPSecret != nil || len(in.BackupCodes) > 0
	switch {
	case mfaGiven && s.mfa == nil:
		return store.User{}, notYetSupported(CreateUserInput{TOTPSecret: in.TOTPSecret, BackupCodes: in.BackupCodes})
	case in.ProfileImageID != nil:
		return store.User{}, unsupported("profile_image_id")
	case in.PrimaryWeb3WalletID.Set && !in.PrimaryWeb3WalletID.Null:
		return store.User{}, unsupported("primary_web3_wallet_id")
	}
	firstName, err := CleanName("first_name", in.FirstName.Ptr())
	if err != nil {
		return store.User{}, err
	}
	lastName, err := CleanName("last_name", in.LastName.Ptr())
	if err != nil {
		return store.User{}, err
	}
	locale, err := CleanName("locale", in.Locale.Ptr())
	if err != nil {
		return store.User{}, err
	}
	externalID, err := cleanExternalID(in.ExternalID.Ptr())
	if err != nil {
		return store.User{}, err
	}
	var username *string
	if p := in.Username.Ptr(); p != nil && *p != "" {
		if !s.rules.Identifiers.Username.Enabled {
			return store.User{}, identifierDisabled("username")
		}
		name, err := NormalizeUsername(*p)
		if err != nil {
			return store.User{}, err
		}
		username = &name
	}
	metas := map[string]opt.Value[json.RawMessage]{
		"public_metadata": in.PublicMetadata, "private_metadata": in.PrivateMetadata, "unsafe_metadata": in.UnsafeMetadata,
	}
	validMeta := map[string]json.RawMessage{}
	for param, m := range metas {
		if m.Set {
			if validMeta[param], err = ValidMetadata(param, m.V); err != nil {
				return store.User{}, err
			}
		}
	}
	var createdAt, legalAt *string
	if in.CreatedAt != nil {
		if _, err := parseTime("created_at", *in.CreatedAt); err != nil {
			return store.User{}, err
		}
		createdAt = in.CreatedAt
	}
	if p := in.LegalAcceptedAt.Ptr(); p != nil {
		if _, err := parseTime("legal_accepted_at", *p); err != nil {
			return store.User{}, err
		}
		legalAt = p
	}
	digest, hasher, err := s.preparePassword(ctx, passwordChange{in.Password, in.PasswordDigest, in.PasswordHasher, in.SkipPasswordChecks})
	if err != nil {
		return store.User{}, err
	}

	var writeMFA func(*store.Tx) error // the imported second factors, decided under the lock
	u, err := s.update(ctx, id, func(u *store.User) error {
		if mfaGiven {
			var err error
			writeMFA, err = s.mfa.Import(u.ID, in.TOTPSecret, in.BackupCodes, u.TOTPEnabled || u.PhoneSecondFactor())
			if err != nil {
				return err
			}
		}
		if in.FirstName.Set {
			u.FirstName = firstName
		}
		if in.LastName.Set {
			u.LastName = lastName
		}
		if in.Locale.Set {
			u.Locale = locale
		}
		if in.ExternalID.Set {
			u.ExternalID = externalID
		}
		if in.Username.Set {
			if username == nil && s.rules.Identifiers.Username.Required {
				return apperr.New(apperr.KindInvalid, "form_param_nil", "is required",
					"username is a required identifier and cannot be removed.").WithParam("username")
			}
			u.Username = username
		}
		if err := setPrimary(u, store.TypeEmail, "primary_email_address_id", in.PrimaryEmailAddressID, &u.PrimaryEmailAddressID); err != nil {
			return err
		}
		if err := setPrimary(u, store.TypePhone, "primary_phone_number_id", in.PrimaryPhoneNumberID, &u.PrimaryPhoneNumberID); err != nil {
			return err
		}
		if m, ok := validMeta["public_metadata"]; ok {
			u.PublicMetadata = m
		}
		if m, ok := validMeta["private_metadata"]; ok {
			u.PrivateMetadata = m
		}
		if m, ok := validMeta["unsafe_metadata"]; ok {
			u.UnsafeMetadata = m
		}
		if digest != "" {
			applyPassword(u, digest, hasher, s.now())
		}
		if in.DeleteSelfEnabled != nil {
			u.DeleteSelfEnabled = *in.DeleteSelfEnabled
		}
		if in.CreateOrgEnabled != nil {
			u.CreateOrganizationEnabled = *in.CreateOrgEnabled
		}
		if in.CreateOrgsLimit.Set {
			u.CreateOrganizationsLimit = in.CreateOrgsLimit.Ptr()
		}
		if createdAt != nil {
			t, _ := parseTime("created_at", *createdAt)
			u.CreatedAt = t
		}
		if in.LegalAcceptedAt.Set {
			u.LegalAcceptedAt = nil
			if legalAt != nil {
				t, _ := parseTime("legal_accepted_at", *legalAt)
				u.LegalAcceptedAt = &t
			}
		}
		return nil
	}, func(tx *store.Tx) error {
		if writeMFA == nil {
			return nil
		}
		return writeMFA(tx)
	})
	if err != nil || !mfaGiven {
		return u, err
	}
	// The second-factor flags are read from their own rows.
	u, err = s.store.GetUser(ctx, id)
	return u, translate(err)
}

// setPrimary makes the identification named by v the user's primary of typ.
// The id must belong to this user and, as Clerk documents, be verified
// (re-sending the current primary is a no-op); primaries cannot be cleared
// with null.
func setPrimary(u *store.User, typ, param string, v opt.Value[string], dst **string) error {
	if !v.Set {
		return nil
	}
	if v.Null || v.V == "" {
		return apperr.New(apperr.KindInvalid, "form_param_nil", "cannot be cleared",
			param+" cannot be removed; set another one as primary instead.").WithParam(param)
	}
	for _, i := range u.Identifications {
		if i.ID == v.V && i.Type == typ {
			if !i.Verified && (*dst == nil || **dst != i.ID) {
				return apperr.ParamValueInvalid(param, param+" must be the id of a verified "+typ+
					"; verify it before making it primary.")
			}
			id := i.ID
			*dst = &id
			return nil
		}
	}
	return apperr.ParamValueInvalid(param, param+" must be the id of one of this user's "+typ+"es.")
}

// MergeMetadata deep-merges the given objects into the user's metadata
// (PATCH /v1/users/{id}/metadata): nested objects merge, a null removes a key.
func (s *Service) MergeMetadata(ctx context.Context, id string, public, private, unsafe json.RawMessage) (store.User, error) {
	return s.update(ctx, id, func(u *store.User) error {
		var err error
		if u.PublicMetadata, err = MergeMetadata("public_metadata", u.PublicMetadata, public); err != nil {
			return err
		}
		if u.PrivateMetadata, err = MergeMetadata("private_metadata", u.PrivateMetadata, private); err != nil {
			return err
		}
		u.UnsafeMetadata, err = MergeMetadata("unsafe_metadata", u.UnsafeMetadata, unsafe)
		return err
	})
}
