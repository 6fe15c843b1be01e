package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/social"
	"github.com/latchkey/latchkey/internal/store"
)

// signedInUser is the user of the request's session: _clerk_session_id
// names it (multi-session clients), else the client's last active one.
func (a *API) signedInUser(r *http.Request) (store.User, error) {
	st := stateOf(r)
	if st.client == nil {
		return store.User{}, apperr.Unauthenticated("Sign in first.")
	}
	sid := r.URL.Query().Get("_clerk_session_id")
	if sid == "" && st.client.LastActiveSessionID != nil {
		sid = *st.client.LastActiveSessionID
	}
	if sid == "" {
		return store.User{}, apperr.Unauthenticated("Sign in first.")
	}
	sess, err := a.Sessions.Get(r.Context(), sid, st.client.ID)
	if err != nil || a.Sessions.Status(sess) != session.StatusActive {
		return store.User{}, apperr.Unauthenticated("The session is not active; sign in again.")
	}
	return a.Users.GetUser(r.Context(), sess.UserID)
}

func (a *API) socialService() (*social.Service, error) {
	s := a.Engine.Social()
	if s == nil {
		return nil, apperr.ParamValueInvalid("strategy", "No provider is enabled on this instance.")
	}
	return s, nil
}

// pendingExternalAccount is the answer to a connect: the account-to-be,
// with the provider's URL to send the browser to.
func pendingExternalAccount(strategy, authURL string) map[string]any {
	return map[string]any{"object": "external_account", "id": "", "provider": strategy, "approved_scopes": "",
		"verification": map[string]any{"object": "verification_oauth", "status": "unverified", "strategy": strategy,
			"external_verification_redirect_url": authURL}}
}

func (a *API) listExternalAccounts(w http.ResponseWriter, r *http.Request) error {
	u, err := a.signedInUser(r)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, present.ExternalAccountsOf(u.ExternalAccounts))
}

// connectExternalAccount starts connecting a provider to the signed-in user.
func (a *API) connectExternalAccount(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	strategy, redirect, scopes := f.get("strategy"), f.get("redirect_url"), scopesParam(f)
	if err := f.done(); err != nil {
		return err
	}
	u, err := a.signedInUser(r)
	if err != nil {
		return err
	}
	soc, err := a.socialService()
	if err != nil {
		return err
	}
	_, authURL, err := soc.Start(r.Context(), social.StartInput{ClientID: stateOf(r).client.ID, Strategy: strategy,
		Purpose: social.PurposeConnect, RedirectURL: redirect, UserID: &u.ID, AdditionalScopes: scopes})
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, pendingExternalAccount(strategy, authURL))
}

// reauthorizeExternalAccount sends the user back to the provider for more
// scopes (or after a revoked grant), keeping the ones already approved.
func (a *API) reauthorizeExternalAccount(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	redirect, scopes := f.get("redirect_url"), scopesParam(f)
	if err := f.done(); err != nil {
		return err
	}
	u, err := a.signedInUser(r)
	if err != nil {
		return err
	}
	soc, err := a.socialService()
	if err != nil {
		return err
	}
	var acc *store.ExternalAccount
	for i := range u.ExternalAccounts {
		if u.ExternalAccounts[i].ID == chi.URLParam(r, "id") {
			acc = &u.ExternalAccounts[i]
		}
	}
	if acc == nil {
		return apperr.NotFound()
	}
	_, authURL, err := soc.Start(r.Context(), social.StartInput{ClientID: stateOf(r).client.ID, Strategy: acc.Provider,
		Purpose: social.PurposeConnect, RedirectURL: redirect, UserID: &u.ID,
		AdditionalScopes: append(append([]string{}, acc.ApprovedScopes...), scopes...)})
	if err != nil {
		return err
	}
	out := present.ExternalAccountOf(*acc)
	out.Verification = &present.Verification{Object: "verification_oauth", Status: "unverified", Strategy: acc.Provider}
	return a.writeResponse(w, r, map[string]any{"object": out.Object, "id": out.ID, "provider": out.Provider,
		"approved_scopes": out.ApprovedScopes, "email_address": out.EmailAddress,
		"verification": map[string]any{"object": "verification_oauth", "status": "unverified", "strategy": acc.Provider,
			"external_verification_redirect_url": authURL}})
}

// deleteExternalAccount disconnects a provider, unless it is the user's
// last way to sign in.
func (a *API) deleteExternalAccount(w http.ResponseWriter, r *http.Request) error {
	u, err := a.signedInUser(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	err = a.Users.DeleteExternalAccount(r.Context(), u.ID, id, a.Engine.KeepsWayToSignIn)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, present.DeletedOf("external_account", id))
}
