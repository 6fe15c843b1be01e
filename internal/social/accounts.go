package social

import (
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/social/wallet"
	"github.com/latchkey/latchkey/internal/store"
)

// Upstream tokens are sealed with keys.Box bound to "<table>:<row id>:<column>",
// so a ciphertext cannot be moved to another row or column. An external
// account's tokens are sealed exactly as the token wallet opens and refreshes
// them: wallet.AAD with the wallet.Column* names.

// Hold keeps a callback's result on its flow row until the person proves
// their email (status pending_link).
func (s *Service) Hold(a *store.UpstreamAuthorization, res Result, requires string) {
	prof, _ := json.Marshal(res.Profile)
	a.Profile, a.Status, a.LinkRequires, a.UpdatedAt = prof, "pending_link", requires, s.now()
	seal := func(v, col string) []byte {
		if v == "" {
			return nil
		}
		return s.box.Seal([]byte(v), aad("upstream_authorization", a.ID, col))
	}
	a.AccessTokenEnc = seal(res.Tokens.AccessToken, "access_token_enc")
	a.RefreshTokenEnc = seal(res.Tokens.RefreshToken, "refresh_token_enc")
	a.IDTokenEnc = seal(res.Tokens.IDToken, "id_token_enc")
	a.TokenType = res.Tokens.TokenType
	a.TokenExpiresAt = nil
	if !res.Tokens.Expiry.IsZero() {
		t := res.Tokens.Expiry
		a.TokenExpiresAt = &t
	}
	a.Scopes = res.Tokens.Scopes
}

// Held reads back what Hold kept.
func (s *Service) Held(a store.UpstreamAuthorization) (Result, error) {
	res := Result{Auth: a}
	if err := json.Unmarshal(a.Profile, &res.Profile); err != nil {
		return res, err
	}
	for _, c := range []struct {
		enc []byte
		col string
		dst *string
	}{{a.AccessTokenEnc, "access_token_enc", &res.Tokens.AccessToken}, {a.RefreshTokenEnc, "refresh_token_enc", &res.Tokens.RefreshToken},
		{a.IDTokenEnc, "id_token_enc", &res.Tokens.IDToken}} {
		if c.enc == nil {
			continue
		}
		pt, err := s.box.Open(c.enc, aad("upstream_authorization", a.ID, c.col))
		if err != nil {
			return res, err
		}
		*c.dst = string(pt)
	}
	res.Tokens.TokenType, res.Tokens.Scopes = a.TokenType, a.Scopes
	if a.TokenExpiresAt != nil {
		res.Tokens.Expiry = *a.TokenExpiresAt
	}
	return res, nil
}

// NewAccount builds the external account a result links to a user.
func (s *Service) NewAccount(userID, provider string, res Result) store.ExternalAccount {
	now := s.now()
	acc := store.ExternalAccount{ID: ids.New(ids.ExternalAccount), UserID: userID, Provider: provider,
		ProviderUserID: res.Profile.ProviderUserID, PublicMetadata: json.RawMessage(`{}`), CreatedAt: now}
	s.Apply(&acc, res)
	return acc
}

// Apply refreshes an account from a new round trip: profile, tokens and
// scopes, and clears a pending re-authorization.
func (s *Service) Apply(acc *store.ExternalAccount, res Result) {
	now := s.now()
	p := res.Profile
	acc.EmailAddress, acc.EmailVerified = p.Email, p.EmailVerified
	acc.FirstName, acc.LastName, acc.Username, acc.ImageURL = p.FirstName, p.LastName, p.Username, p.ImageURL
	seal := func(v, col string, keep []byte) []byte {
		if v == "" {
			return keep
		}
		return s.box.Seal([]byte(v), wallet.AAD(acc.ID, col))
	}
	t := res.Tokens
	if t.AccessToken != "" { // a native ID-token sign-in brings no tokens: keep the old ones
		acc.AccessTokenEnc = seal(t.AccessToken, wallet.ColumnAccessToken, nil)
		// A provider that returns no new refresh token keeps the old one valid.
		acc.RefreshTokenEnc = seal(t.RefreshToken, wallet.ColumnRefreshToken, acc.RefreshTokenEnc)
		acc.IDTokenEnc = seal(t.IDToken, wallet.ColumnIDToken, nil)
		acc.TokenType, acc.ApprovedScopes = t.TokenType, t.Scopes
		acc.TokenExpiresAt = nil
		if !t.Expiry.IsZero() {
			e := t.Expiry
			acc.TokenExpiresAt = &e
		}
		acc.TokenRefreshedAt = &now
		acc.NeedsReauthorization, acc.ReauthorizationReason = false, ""
	}
	if acc.ApprovedScopes == nil {
		acc.ApprovedScopes = []string{}
	}
	acc.UpdatedAt = now
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }
