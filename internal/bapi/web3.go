package bapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/present"
)

// deleteUserWeb3Wallet serves DELETE /v1/users/{user_id}/web3_wallets/{id}.
func (a *API) deleteUserWeb3Wallet(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if err := a.Users.DeleteWeb3Wallet(r.Context(), chi.URLParam(r, "userID"), id); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf("web3_wallet", id))
}
