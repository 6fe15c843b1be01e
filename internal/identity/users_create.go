package identity

import (
	"context"
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// CreateUserInput is the body of POST /v1/users, in Clerk's field names.
type CreateUserInput struct {
	EmailAddresses          []string        `json:"email_address"`
	EmailStatuses           []string        `json:"email_address_identification_status"`
	PhoneNumbers            []string        `json:"phone_number"`
	PhoneStatuses           []string        `json:"phone_number_identification_status"`
	Web3Wallets             []string        `json:"web3_wallet"`
	Username                *string         `json:"username"`
	Password                *string         `json:"password"`
	PasswordDigest          *string         `json:"password_digest"`
	PasswordHasher          *string         `json:"password_hasher"`
	SkipPasswordChecks      bool            `json:"skip_password_checks"`
	SkipPasswordRequirement bool            `json:"skip_password_requirement"`
	SkipUserRequirement     bool            `json:"skip_user_requirement"`
	SkipLegalChecks         bool            `json:"skip_legal_checks"`
	TOTPSecret              *string         `json:"totp_secret"`
	BackupCodes             []string        `json:"backup_codes"`
	FirstName               *string         `json:"first_name"`
	LastName                *string         `json:"last_name"`
	Locale                  *string         `json:"locale"`
	ExternalID              *string         `json:"external_id"`
	PublicMetadata          json.RawMessage `json:"public_metadata"`
	PrivateMetadata         json.RawMessage `json:"private_metadata"`
	UnsafeMetadata          json.RawMessage `json:"unsafe_metadata"`
	DeleteSelfEnabled       *bool           `json:"delete_self_enabled"`
	CreateOrgEnabled        *bool           `json:"create_organization_enabled"`
	CreateOrgsLimit         *int            `json:"create_organizations_limit"`
	LegalAcceptedAt         *string         `json:"legal_accepted_at"`
	CreatedAt               *string         `json:"created_at"`
	BypassClientTrust       *bool           `json:"bypass_client_trust"`
	Banned                  bool            `json:"banned"`
	Locked                  bool            `json:"locked"`
}

const maxIdentifiersPerRequest = 10

// CreateUser validates in and creates the user with its identifications in
// one transaction. Emails and phones are verified unless marked "reserved".
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (store.User, error) {
	if s.mfa == nil {
		if err := notYetSupported(in); err != nil {
			return store.User{}, err
		}
	}
	now := s.now()
	createdAt := now
	if in.CreatedAt != nil {
		t, err := parseTime("created_at", *in.CreatedAt)
		if err != nil {
			return store.User{}, err
		}
		createdAt = t
	}
	u := store.User{
		ID: ids.NewAt(ids.User, createdAt), CreatedAt: createdAt, UpdatedAt: now,
		DeleteSelfEnabled: true, CreateOrganizationEnabled: true,
		Banned: in.Banned, CreateOrganizationsLimit: in.CreateOrgsLimit,
	}
	if in.Locked {
		u.LockedAt = &now
	}
	if in.DeleteSelfEnabled != nil {
		u.DeleteSelfEnabled = *in.DeleteSelfEnabled
	}
	if in.CreateOrgEnabled != nil {
		u.CreateOrganizationEnabled = *in.CreateOrgEnabled
	}
	if in.LegalAcceptedAt != nil {
		t, err := parseTime("legal_accepted_at", *in.LegalAcceptedAt)
		if err != nil {
			return store.User{}, err
		}
		u.LegalAcceptedAt = &t
	}
	var err error
	if u.FirstName, err = CleanName("first_name", in.FirstName); err != nil {
		return store.User{}, err
	}
	if u.LastName, err = CleanName("last_name", in.LastName); err != nil {
		return store.User{}, err
	}
	if u.Locale, err = CleanName("locale", in.Locale); err != nil {
		return store.User{}, err
	}
	if u.ExternalID, err = cleanExternalID(in.ExternalID); err != nil {
		return store.User{}, err
	}
	if in.Username != nil && *in.Username != "" {
		if !s.rules.Identifiers.Username.Enabled {
			return store.User{}, identifierDisabled("username")
		}
		name, err := NormalizeUsername(*in.Username)
		if err != nil {
			return store.User{}, err
		}
		u.Username = &name
	}
	for _, m := range []struct {
		param string
		raw   json.RawMessage
		dst   *json.RawMessage
	}{{"public_metadata", in.PublicMetadata, &u.PublicMetadata}, {"private_metadata", in.PrivateMetadata, &u.PrivateMetadata}, {"unsafe_metadata", in.UnsafeMetadata, &u.UnsafeMetadata}} {
		if *m.dst, err = ValidMetadata(m.param, m.raw); err != nil {
			return store.User{}, err
		}
	}
	emails, err := s.newIdentifications(u.ID, store.TypeEmail, in.EmailAddresses, in.EmailStatuses, now)
	if err != nil {
		return store.User{}, err
	}
	phones, err := s.newIdentifications(u.ID, store.TypePhone, in.PhoneNumbers, in.PhoneStatuses, now)
	if err != nil {
		return store.User{}, err
	}
	if len(emails) > 0 {
		u.PrimaryEmailAddressID = &emails[0].ID
	}
	if len(phones) > 0 {
		u.PrimaryPhoneNumberID = &phones[0].ID
	}
	wallets, err := newWallets(u.ID, in.Web3Wallets, now)
	if err != nil {
		return store.User{}, err
	}
	u.Identifications = append(append(emails, phones...), wallets...)
	if err := s.policy.CheckAll(ctx, ForAdmin, identsOf(u)); err != nil {
		return store.User{}, err
	}
	if !in.SkipUserRequirement {
		if err := s.checkRequiredIdentifiers(u); err != nil {
			return store.User{}, err
		}
	}
	var then []func(*store.Tx) error
	if s.mfa != nil {
		writeMFA, err := s.mfa.Import(u.ID, in.TOTPSecret, in.BackupCodes, false)
		if err != nil {
			return store.User{}, err
		}
		then = append(then, writeMFA)
	}
	// Hash last: every cheap check has passed before the slow, pooled work.
	digest, hasher, err := s.preparePassword(ctx, passwordChange{in.Password, in.PasswordDigest, in.PasswordHasher, in.SkipPasswordChecks})
	if err != nil {
		return store.User{}, err
	}
	if digest != "" {
		applyPassword(&u, digest, hasher, now)
	}
	if err := s.store.CreateUser(ctx, u, then...); err != nil {
		return store.User{}, translate(err)
	}
	if in.TOTPSecret != nil {
		// The second-factor flags are read from their own rows.
		created, err := s.store.GetUser(ctx, u.ID)
		return created, translate(err)
	}
	return u, nil
}

// newIdentifications validates the emails or phones of a create request.
func (s *Service) newIdentifications(userID, typ string, values, statuses []string, now time.Time) ([]store.Identification, error) {
	param, statusParam, enabled := "email_address", "email_address_identification_status", s.rules.Identifiers.EmailAddress.Enabled
	if typ == store.TypePhone {
		param, statusParam, enabled = "phone_number", "phone_number_identification_status", s.rules.Identifiers.PhoneNumber.Enabled
	}
	if len(values) == 0 {
		if len(statuses) > 0 {
			return nil, apperr.ParamValueInvalid(statusParam, statusParam+" must have one item per "+param+".")
		}
		return nil, nil
	}
	if !enabled {
		return nil, identifierDisabled(param)
	}
	if len(values) > maxIdentifiersPerRequest {
		return nil, apperr.ParamValueInvalid(param, "At most 10 values of "+param+" can be given.")
	}
	if len(statuses) > 0 && len(statuses) != len(values) {
		return nil, apperr.ParamValueInvalid(statusParam, statusParam+" must have exactly one item per "+param+".")
	}
	seen := map[string]bool{}
	out := make([]store.Identification, 0, len(values))
	for i, raw := range values {
		norm, err := normalizeIdentifier(typ, param, raw)
		if err != nil {
			return nil, err
		}
		if seen[norm] {
			return nil, apperr.ParamValueInvalid(param, raw+" is given more than once.")
		}
		seen[norm] = true
		idn := store.Identification{
			ID: ids.New(ids.Identification), UserID: userID, Type: typ, Identifier: norm,
			Verified: true, VerificationStrategy: strPtr("admin"), CreatedAt: now, UpdatedAt: now,
		}
		if len(statuses) > 0 {
			switch statuses[i] {
			case "verified":
			case "reserved":
				idn.Verified, idn.VerificationStrategy, idn.Reserved = false, nil, true
			default:
				return nil, apperr.ParamValueInvalid(statusParam, statusParam+" items must be \"verified\" or \"reserved\".")
			}
		}
		out = append(out, idn)
	}
	return out, nil
}

func normalizeIdentifier(typ, param, raw string) (string, error) {
	if typ == store.TypePhone {
		return NormalizePhone(param, raw)
	}
	return NormalizeEmail(param, raw)
}

// checkRequiredIdentifiers enforces the instance's required identifiers.
func (s *Service) checkRequiredIdentifiers(u store.User) error {
	idn := s.rules.Identifiers
	if idn.EmailAddress.Required && countType(u, store.TypeEmail) == 0 {
		return apperr.ParamMissing("email_address")
	}
	if idn.PhoneNumber.Required && countType(u, store.TypePhone) == 0 {
		return apperr.ParamMissing("phone_number")
	}
	if idn.Username.Required && u.Username == nil {
		return apperr.ParamMissing("username")
	}
	return nil
}

func countType(u store.User, typ string) int {
	n := 0
	for _, i := range u.Identifications {
		if i.Type == typ {
			n++
		}
	}
	return n
}

// notYetSupported refuses fields whose feature this instance cannot honour
// (no second factors wired in), rather than silently dropping data the
// caller meant to store.
func notYetSupported(in CreateUserInput) error {
	switch {
	case in.TOTPSecret != nil:
		return unsupported("totp_secret")
	case len(in.BackupCodes) > 0:
		return unsupported("backup_codes")
	}
	return nil
}
