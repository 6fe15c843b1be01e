package bapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/present"
)

// PasskeyDeleter removes a user's passkey (the sign-in engine).
type PasskeyDeleter interface {
	DeletePasskey(ctx context.Context, userID, id string) error
}

// deletePasskey is DELETE /v1/users/{user_id}/passkeys/{passkey_id}: the
// passkey no longer signs in.
func (a *API) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	userID, id := chi.URLParam(r, "userID"), chi.URLParam(r, "passkeyID")
	if _, err := a.Users.GetUser(r.Context(), userID); err != nil {
		return err
	}
	if err := a.Passkeys.DeletePasskey(r.Context(), userID, id); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf("passkey", id))
}
