// Package present renders domain objects in Clerk's JSON shapes, shared by
// the Backend API and the frontend API so both describe a user the same way.
package present

import (
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/store"
)

// The JSON shapes of Clerk's Backend API. Timestamps are Unix milliseconds.

func Ms(t time.Time) int64 { return t.UnixMilli() }

func MsPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

type Verification struct {
	Object   string  `json:"object"`
	Status   string  `json:"status"`
	Strategy string  `json:"strategy"`
	Attempts *int    `json:"attempts"`
	ExpireAt *int64  `json:"expire_at"`
	Verified *string `json:"verified_at_client"`
}

func verificationOf(i store.Identification) *Verification {
	if !i.Verified {
		return nil
	}
	strategy := "admin"
	if i.VerificationStrategy != nil {
		strategy = *i.VerificationStrategy
	}
	obj := "verification_otp"
	if strategy == "admin" {
		obj = "verification_admin"
	}
	return &Verification{Object: obj, Status: "verified", Strategy: strategy}
}

type EmailAddress struct {
	ID                   string        `json:"id"`
	Object               string        `json:"object"`
	EmailAddress         string        `json:"email_address"`
	Reserved             bool          `json:"reserved"`
	Verification         *Verification `json:"verification"`
	LinkedTo             []any         `json:"linked_to"`
	MatchesSSOConnection bool          `json:"matches_sso_connection"`
	CreatedAt            int64         `json:"created_at"`
	UpdatedAt            int64         `json:"updated_at"`
}

type PhoneNumber struct {
	ID                      string        `json:"id"`
	Object                  string        `json:"object"`
	PhoneNumber             string        `json:"phone_number"`
	ReservedForSecondFactor bool          `json:"reserved_for_second_factor"`
	DefaultSecondFactor     bool          `json:"default_second_factor"`
	Reserved                bool          `json:"reserved"`
	Verification            *Verification `json:"verification"`
	LinkedTo                []any         `json:"linked_to"`
	BackupCodes             []string      `json:"backup_codes"`
	CreatedAt               int64         `json:"created_at"`
	UpdatedAt               int64         `json:"updated_at"`
}

func EmailAddressOf(i store.Identification) EmailAddress {
	return EmailAddress{ID: i.ID, Object: "email_address", EmailAddress: i.Identifier, Reserved: i.Reserved,
		Verification: verificationOf(i), LinkedTo: []any{}, CreatedAt: Ms(i.CreatedAt), UpdatedAt: Ms(i.UpdatedAt)}
}

func PhoneNumberOf(i store.Identification) PhoneNumber {
	return PhoneNumber{ID: i.ID, Object: "phone_number", PhoneNumber: i.Identifier,
		ReservedForSecondFactor: i.ReservedForSecondFactor, DefaultSecondFactor: i.DefaultSecondFactor,
		Reserved: i.Reserved, Verification: verificationOf(i), LinkedTo: []any{},
		CreatedAt: Ms(i.CreatedAt), UpdatedAt: Ms(i.UpdatedAt)}
}

func IdentificationOf(i store.Identification) any {
	if i.Type == "web3_wallet" {
		return Web3WalletOf(i)
	}
	if i.Type == store.TypePhone {
		return PhoneNumberOf(i)
	}
	return EmailAddressOf(i)
}

type User struct {
	ID                            string          `json:"id"`
	Object                        string          `json:"object"`
	ExternalID                    *string         `json:"external_id"`
	PrimaryEmailAddressID         *string         `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string         `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string         `json:"primary_web3_wallet_id"`
	Username                      *string         `json:"username"`
	FirstName                     *string         `json:"first_name"`
	LastName                      *string         `json:"last_name"`
	Locale                        *string         `json:"locale"`
	ProfileImageURL               string          `json:"profile_image_url"`
	ImageURL                      string          `json:"image_url"`
	HasImage                      bool            `json:"has_image"`
	PublicMetadata                json.RawMessage `json:"public_metadata"`
	PrivateMetadata               json.RawMessage `json:"private_metadata,omitempty"`
	UnsafeMetadata                json.RawMessage `json:"unsafe_metadata"`
	EmailAddresses                []EmailAddress  `json:"email_addresses"`
	PhoneNumbers                  []PhoneNumber   `json:"phone_numbers"`
	Web3Wallets                   []any           `json:"web3_wallets"`
	Passkeys                      []any           `json:"passkeys"`
	PasswordEnabled               bool            `json:"password_enabled"`
	TwoFactorEnabled              bool            `json:"two_factor_enabled"`
	TOTPEnabled                   bool            `json:"totp_enabled"`
	BackupCodeEnabled             bool            `json:"backup_code_enabled"`
	MFAEnabledAt                  *int64          `json:"mfa_enabled_at"`
	MFADisabledAt                 *int64          `json:"mfa_disabled_at"`
	PasswordLastUpdatedAt         *int64          `json:"password_last_updated_at"`
	ExternalAccounts              []any           `json:"external_accounts"`
	SAMLAccounts                  []any           `json:"saml_accounts"`
	EnterpriseAccounts            []any           `json:"enterprise_accounts"`
	OrganizationMemberships       []any           `json:"organization_memberships"`
	LastSignInAt                  *int64          `json:"last_sign_in_at"`
	Banned                        bool            `json:"banned"`
	Locked                        bool            `json:"locked"`
	LockoutExpiresInSeconds       *int64          `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64          `json:"verification_attempts_remaining"`
	DeleteSelfEnabled             bool            `json:"delete_self_enabled"`
	CreateOrganizationEnabled     bool            `json:"create_organization_enabled"`
	CreateOrganizationsLimit      *int            `json:"create_organizations_limit"`
	LastActiveAt                  *int64          `json:"last_active_at"`
	LegalAcceptedAt               *int64          `json:"legal_accepted_at"`
	BypassClientTrust             bool            `json:"bypass_client_trust"`
	CreatedAt                     int64           `json:"created_at"`
	UpdatedAt                     int64           `json:"updated_at"`
}

// UserOf renders a user. The frontend API passes withPrivate=false: private
// metadata is for the operator's backend only.
func UserOf(svc *identity.Service, u store.User, withPrivate bool) User {
	locked, expiresIn := svc.LockStatus(u)
	out := User{
		ID: u.ID, Object: "user", ExternalID: u.ExternalID,
		PrimaryEmailAddressID: u.PrimaryEmailAddressID, PrimaryPhoneNumberID: u.PrimaryPhoneNumberID,
		Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale,
		PublicMetadata: orEmpty(u.PublicMetadata),
		UnsafeMetadata: orEmpty(u.UnsafeMetadata),
		EmailAddresses: []EmailAddress{}, PhoneNumbers: []PhoneNumber{},
		Web3Wallets: []any{}, Passkeys: []any{}, ExternalAccounts: []any{}, SAMLAccounts: []any{},
		EnterpriseAccounts: []any{}, OrganizationMemberships: []any{},
		PasswordEnabled: u.PasswordDigest != nil, PasswordLastUpdatedAt: MsPtr(u.PasswordUpdatedAt),
		LastSignInAt: MsPtr(u.LastSignInAt), Banned: u.Banned, Locked: locked,
		LockoutExpiresInSeconds: expiresIn, VerificationAttemptsRemaining: svc.AttemptsRemaining(u),
		DeleteSelfEnabled: u.DeleteSelfEnabled, CreateOrganizationEnabled: u.CreateOrganizationEnabled,
		CreateOrganizationsLimit: u.CreateOrganizationsLimit, LastActiveAt: MsPtr(u.LastActiveAt),
		LegalAcceptedAt: MsPtr(u.LegalAcceptedAt), CreatedAt: Ms(u.CreatedAt), UpdatedAt: Ms(u.UpdatedAt),
	}
	out.ExternalAccounts = ExternalAccountsOf(u.ExternalAccounts)
	if withPrivate {
		out.PrivateMetadata = orEmpty(u.PrivateMetadata)
	}
	// Second factors as the MFA tables and the phone numbers hold them.
	out.TOTPEnabled, out.BackupCodeEnabled = u.TOTPEnabled, u.BackupCodeEnabled
	out.TwoFactorEnabled = u.TOTPEnabled || u.BackupCodeEnabled || u.PhoneSecondFactor()
	out.MFAEnabledAt = MsPtr(u.TOTPVerifiedAt)
	for _, i := range u.Identifications {
		if i.Type == "web3_wallet" {
			addWallet(&out, i)
		} else if i.Type == store.TypePhone {
			out.PhoneNumbers = append(out.PhoneNumbers, PhoneNumberOf(i))
		} else {
			out.EmailAddresses = append(out.EmailAddresses, EmailAddressOf(i))
		}
	}
	out.Passkeys = passkeysOf(u)
	return out
}

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(`{}`)
	}
	return m
}

type Deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

func DeletedOf(object, id string) Deleted {
	return Deleted{ID: id, Object: object, Deleted: true}
}

// PrimaryIdentifier is how a user is shown in lists: the primary email,
// else the username, else any identifier.
func PrimaryIdentifier(u store.User) string {
	for _, i := range u.Identifications {
		if u.PrimaryEmailAddressID != nil && i.ID == *u.PrimaryEmailAddressID {
			return i.Identifier
		}
	}
	if u.Username != nil {
		return *u.Username
	}
	if len(u.Identifications) > 0 {
		return u.Identifications[0].Identifier
	}
	return ""
}
