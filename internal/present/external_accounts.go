package present

import (
	"encoding/json"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// ExternalAccount is Clerk's external_account object, plus whether the
// provider refused a refresh (needs_reauthorization): the user must connect
// it again before its tokens can be used.
type ExternalAccount struct {
	Object                string          `json:"object"`
	ID                    string          `json:"id"`
	Provider              string          `json:"provider"`
	IdentificationID      string          `json:"identification_id"`
	ProviderUserID        string          `json:"provider_user_id"`
	ApprovedScopes        string          `json:"approved_scopes"`
	EmailAddress          string          `json:"email_address"`
	EmailAddressVerified  bool            `json:"email_address_verified"`
	FirstName             string          `json:"first_name"`
	LastName              string          `json:"last_name"`
	AvatarURL             string          `json:"avatar_url"`
	ImageURL              string          `json:"image_url"`
	Username              *string         `json:"username"`
	PhoneNumber           *string         `json:"phone_number"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	Label                 *string         `json:"label"`
	CreatedAt             int64           `json:"created_at"`
	UpdatedAt             int64           `json:"updated_at"`
	Verification          *Verification   `json:"verification"`
	NeedsReauthorization  bool            `json:"needs_reauthorization"`
	ReauthorizationReason string          `json:"reauthorization_reason"`
}

// ExternalAccountOf renders an external account (never its tokens).
func ExternalAccountOf(a store.ExternalAccount) ExternalAccount {
	out := ExternalAccount{Object: "external_account", ID: a.ID, Provider: a.Provider, IdentificationID: a.ID,
		ProviderUserID: a.ProviderUserID, ApprovedScopes: strings.Join(a.ApprovedScopes, " "),
		EmailAddress: a.EmailAddress, EmailAddressVerified: a.EmailVerified, FirstName: a.FirstName,
		LastName: a.LastName, AvatarURL: a.ImageURL, ImageURL: a.ImageURL, PublicMetadata: orEmpty(a.PublicMetadata),
		CreatedAt: Ms(a.CreatedAt), UpdatedAt: Ms(a.UpdatedAt), NeedsReauthorization: a.NeedsReauthorization,
		ReauthorizationReason: a.ReauthorizationReason,
		Verification:          &Verification{Object: "verification_oauth", Status: "verified", Strategy: a.Provider}}
	if a.NeedsReauthorization {
		out.Verification.Status = "unverified"
	}
	if a.Username != "" {
		out.Username = &a.Username
	}
	if a.Label != "" {
		out.Label = &a.Label
	}
	return out
}

// ExternalAccountsOf renders a user's external accounts ([] when none).
func ExternalAccountsOf(list []store.ExternalAccount) []any {
	out := make([]any, 0, len(list))
	for _, a := range list {
		out = append(out, ExternalAccountOf(a))
	}
	return out
}
