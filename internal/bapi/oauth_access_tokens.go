package bapi

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/social/wallet"
)

// oauthAccessTokenJSON is Clerk's oauth_access_token object.
type oauthAccessTokenJSON struct {
	Object            string          `json:"object"`
	ExternalAccountID string          `json:"external_account_id"`
	ProviderUserID    string          `json:"provider_user_id"`
	Token             string          `json:"token"`
	ExpiresAt         *int64          `json:"expires_at"`
	Provider          string          `json:"provider"`
	PublicMetadata    json.RawMessage `json:"public_metadata"`
	Label             *string         `json:"label"`
	Scopes            []string        `json:"scopes"`
	IDToken           string          `json:"id_token,omitempty"`
}

func oauthAccessTokenOf(t wallet.Token) oauthAccessTokenJSON {
	a := t.Account
	out := oauthAccessTokenJSON{Object: "oauth_access_token", ExternalAccountID: a.ID, ProviderUserID: a.ProviderUserID,
		Token: t.AccessToken, ExpiresAt: present.MsPtr(a.TokenExpiresAt), Provider: a.Provider,
		PublicMetadata: a.PublicMetadata, Scopes: a.ApprovedScopes, IDToken: t.IDToken}
	if len(out.PublicMetadata) == 0 {
		out.PublicMetadata = json.RawMessage(`{}`)
	}
	if a.Label != "" {
		out.Label = &a.Label
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	return out
}

func (a *API) walletRoutes(r chi.Router) {
	h := httpx.Adapt
	r.Get("/users/{userID}/oauth_access_tokens/{provider}", h(a.oauthAccessTokens))
	r.Delete("/users/{userID}/external_accounts/{id}", h(a.deleteExternalAccount))
}

// oauthAccessTokens serves the token wallet: the user's current provider
// tokens, refreshed first when expired or about to expire.
func (a *API) oauthAccessTokens(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	p, err := pageParams(q)
	if err != nil {
		return err
	}
	provider := wallet.NormalizeProvider(chi.URLParam(r, "provider"))
	tokens, total, err := a.Wallet.AccessTokens(r.Context(), chi.URLParam(r, "userID"), provider,
		wallet.Page{Limit: p.limit, Offset: p.offset})
	if err != nil {
		return err
	}
	out := make([]oauthAccessTokenJSON, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, oauthAccessTokenOf(t))
	}
	return p.write(w, out, int64(total))
}

func (a *API) deleteExternalAccount(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if err := a.Wallet.Delete(r.Context(), chi.URLParam(r, "userID"), id); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf("external_account", id))
}
