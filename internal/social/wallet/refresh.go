package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// Columns of external_accounts holding sealed tokens; each ciphertext is
// bound to its row and column (additional data
// "external_account:<id>:<column>"), so it cannot be moved elsewhere.
const (
	ColumnAccessToken  = "access_token_enc"
	ColumnRefreshToken = "refresh_token_enc"
	ColumnIDToken      = "id_token_enc"
)

// AAD is the additional data binding a sealed token to its row and column.
func AAD(accountID, column string) []byte {
	return []byte("external_account:" + accountID + ":" + column)
}

// upstreamError is a refresh that failed for a reason other than the
// provider refusing the grant: a network error, a 5xx, a provider that is no
// longer configured. The account is left as it was.
type upstreamError struct {
	reason string
	err    error
}

func (e *upstreamError) Error() string {
	return "wallet: refresh: " + e.reason + ": " + fmt.Sprint(e.err)
}
func (e *upstreamError) Unwrap() error { return e.err }

func (e *upstreamError) apperr(a store.ExternalAccount) error {
	return apperr.New(apperr.KindUnavailable, "oauth_token_retrieval_error",
		"The access token could not be refreshed",
		"The access token of external account "+a.ID+" ("+a.Provider+") has expired and could not be refreshed: "+
			e.reason+". Try again later.").WithMeta("external_account_id", a.ID)
}

// refreshChange returns the change that, under the row lock, refreshes the
// account's tokens if they are still due within margin (another request or
// replica may have refreshed them while this one waited for the lock).
func (s *Service) refreshChange(ctx context.Context, margin time.Duration) store.TokenChange {
	return func(a *store.ExternalAccount) (bool, error) {
		if !s.due(*a, margin) {
			return false, nil
		}
		return s.refresh(ctx, a)
	}
}

// refresh spends the refresh token at the provider and puts the new tokens
// into a: a rotated refresh token replaces the old one (the old one is
// spent), a refusal (invalid_grant) marks the account as needing
// re-authorization.
func (s *Service) refresh(ctx context.Context, a *store.ExternalAccount) (bool, error) {
	cfg, ok := s.oauth2Config(a.Provider)
	if !ok {
		return false, &upstreamError{reason: "the provider " + a.Provider + " is not configured", err: errors.New("no provider")}
	}
	refreshToken, err := s.box.Open(a.RefreshTokenEnc, AAD(a.ID, ColumnRefreshToken))
	if err != nil {
		return false, fmt.Errorf("wallet: open refresh token of %s: %w", a.ID, err)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.settings.HTTPClient)
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: string(refreshToken)}).Token()
	now := s.now().UTC()
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) && refused.ErrorCode == "invalid_grant" {
		reason := "invalid_grant"
		if refused.ErrorDescription != "" {
			reason += ": " + refused.ErrorDescription
		}
		a.NeedsReauthorization = true
		a.ReauthorizationReason = truncate("the provider refused the refresh ("+reason+")", 500)
		a.UpdatedAt = now
		return true, nil
	}
	if err != nil {
		return false, &upstreamError{reason: "the provider's token endpoint failed", err: err}
	}
	if tok.AccessToken == "" {
		return false, &upstreamError{reason: "the provider returned no access token", err: errors.New("empty access_token")}
	}
	a.AccessTokenEnc = s.box.Seal([]byte(tok.AccessToken), AAD(a.ID, ColumnAccessToken))
	if tok.RefreshToken != "" && tok.RefreshToken != string(refreshToken) {
		a.RefreshTokenEnc = s.box.Seal([]byte(tok.RefreshToken), AAD(a.ID, ColumnRefreshToken))
	}
	if idToken, _ := tok.Extra("id_token").(string); idToken != "" {
		a.IDTokenEnc = s.box.Seal([]byte(idToken), AAD(a.ID, ColumnIDToken))
	}
	if tok.TokenType != "" {
		a.TokenType = tok.TokenType
	}
	// Expiry on our clock: expires_in counts from now.
	switch {
	case tok.ExpiresIn > 0:
		exp := now.Add(time.Duration(tok.ExpiresIn) * time.Second)
		a.TokenExpiresAt = &exp
	case !tok.Expiry.IsZero():
		exp := tok.Expiry.UTC()
		a.TokenExpiresAt = &exp
	default:
		a.TokenExpiresAt = nil
	}
	// A provider may narrow the scopes on refresh; none said means unchanged.
	if scope, _ := tok.Extra("scope").(string); strings.TrimSpace(scope) != "" {
		a.ApprovedScopes = strings.Fields(scope)
	}
	a.TokenRefreshedAt = &now
	a.UpdatedAt = now
	return true, nil
}

// open decrypts an account's tokens for handing out.
func (s *Service) open(a store.ExternalAccount) (Token, error) {
	t := Token{Account: a}
	access, err := s.box.Open(a.AccessTokenEnc, AAD(a.ID, ColumnAccessToken))
	if err != nil {
		return t, apperr.Internal(err, "open access token of %s", a.ID)
	}
	t.AccessToken = string(access)
	if a.IDTokenEnc != nil {
		id, err := s.box.Open(a.IDTokenEnc, AAD(a.ID, ColumnIDToken))
		if err != nil {
			return t, apperr.Internal(err, "open id token of %s", a.ID)
		}
		t.IDToken = string(id)
	}
	return t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
