package store

import (
	"encoding/json"
	"time"
)

// ExternalAccount is a user's account at an upstream identity provider
// (table external_accounts). Token columns hold AES-GCM ciphertexts sealed by
// the social package; the store never sees a token in clear.
type ExternalAccount struct {
	ID                    string          `db:"id"`
	UserID                string          `db:"user_id"`
	Provider              string          `db:"provider"`
	ProviderUserID        string          `db:"provider_user_id"`
	EmailAddress          string          `db:"email_address"`
	EmailVerified         bool            `db:"email_verified"`
	FirstName             string          `db:"first_name"`
	LastName              string          `db:"last_name"`
	Username              string          `db:"username"`
	ImageURL              string          `db:"image_url"`
	Label                 string          `db:"label"`
	PublicMetadata        json.RawMessage `db:"public_metadata"`
	ApprovedScopes        []string        `db:"approved_scopes"`
	AccessTokenEnc        []byte          `db:"access_token_enc"`
	RefreshTokenEnc       []byte          `db:"refresh_token_enc"`
	IDTokenEnc            []byte          `db:"id_token_enc"`
	TokenType             string          `db:"token_type"`
	TokenExpiresAt        *time.Time      `db:"token_expires_at"`
	TokenRefreshedAt      *time.Time      `db:"token_refreshed_at"`
	NeedsReauthorization  bool            `db:"needs_reauthorization"`
	ReauthorizationReason string          `db:"reauthorization_reason"`
	CreatedAt             time.Time       `db:"created_at"`
	UpdatedAt             time.Time       `db:"updated_at"`
}

// externalAccountColumns lists external_accounts' columns in ExternalAccount's order.
const externalAccountColumns = `id, user_id, provider, provider_user_id, email_address, email_verified,
	first_name, last_name, username, image_url, label, public_metadata, approved_scopes,
	access_token_enc, refresh_token_enc, id_token_enc, token_type, token_expires_at, token_refreshed_at,
	needs_reauthorization, reauthorization_reason, created_at, updated_at`
