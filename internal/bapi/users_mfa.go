package bapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/store"
)

// mfaRoutes are the Backend API's multi-factor endpoints: an operator
// resets a user's second factors or checks a code for a custom flow.
func (a *API) mfaRoutes(r chi.Router) {
	h := httpx.Adapt
	r.Delete("/users/{userID}/mfa", h(a.resetMFA))
	r.Delete("/users/{userID}/totp", h(a.deleteTOTP))
	r.Delete("/users/{userID}/backup_code", h(a.deleteBackupCodes))
	r.Post("/users/{userID}/verify_totp", h(a.verifyTOTP))
}

// userIDResponse is Clerk's answer to the MFA deletions: {"user_id": ...}.
func userIDResponse(w http.ResponseWriter, id string) error {
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"user_id": id})
}

// resetMFA removes every second factor of the user ("Reset a user's MFA").
func (a *API) resetMFA(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "userID")
	if err := a.MFA.Reset(r.Context(), id); err != nil {
		return err
	}
	return userIDResponse(w, id)
}

func (a *API) deleteTOTP(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "userID")
	if _, err := a.Users.GetUser(r.Context(), id); err != nil {
		return err
	}
	if _, err := a.MFA.DeleteTOTP(r.Context(), id); err != nil && !apperr.IsKind(err, apperr.KindNotFound) {
		return err
	}
	return userIDResponse(w, id)
}

func (a *API) deleteBackupCodes(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "userID")
	if err := a.MFA.DeleteBackupCodes(r.Context(), id); err != nil {
		return err
	}
	return userIDResponse(w, id)
}

func (a *API) verifyTOTP(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code *string `json:"code"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Code == nil || *in.Code == "" {
		return apperr.ParamMissing("code")
	}
	codeType, err := a.MFA.VerifyCode(r.Context(), chi.URLParam(r, "userID"), *in.Code)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"verified": true, "code_type": codeType})
}

// unlock lifts a lockout, including the count of wrong second-factor codes
// behind it: otherwise the next wrong code would lock the user again at once.
func (a *API) unlock(ctx context.Context, id string) (store.User, error) {
	u, err := a.Users.Unlock(ctx, id)
	if err != nil {
		return u, err
	}
	return u, a.MFA.ForgetFailures(ctx, id)
}
