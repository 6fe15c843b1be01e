// Package fapi serves the frontend API on the public listener: Clerk's
// client, session, sign-in and sign-up objects and paths, for browsers (the
// __client cookie) and native apps (the client token in a header). Handlers
// decode, call the domain, and encode.
package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/origins"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/signin"
)

// API is the frontend API.
type API struct {
	Config   config.Config
	Sessions *session.Service
	Users    *identity.Service
	Engine   *signin.Service
	Origins  *origins.Set
	MFA      *mfa.Service
	// ErrorPage, when set, shows a failed provider callback to a browser
	// as a page (the hosted pages' own) instead of JSON.
	ErrorPage func(http.ResponseWriter, *http.Request, error)
}

// Routes mounts the frontend API on r (mounted at /v1 on the public listener).
func (a *API) Routes(r chi.Router) {
	r.Use(a.Origins.CORS, a.resolveClient)
	h := httpx.Adapt
	r.Get("/environment", h(a.environment))
	r.Get("/client", h(a.getClient))
	r.Delete("/client", h(a.deleteClient))

	r.Post("/client/sign_ins", h(a.createSignIn))
	r.Get("/client/sign_ins/{id}", h(a.getSignIn))
	r.Post("/client/sign_ins/{id}/prepare_first_factor", h(a.prepareFirstFactor))
	r.Post("/client/sign_ins/{id}/attempt_first_factor", h(a.attemptFirstFactor))
	r.Post("/client/sign_ins/{id}/reset_password", h(a.resetPassword))
	r.Post("/client/sign_ins/{id}/prepare_second_factor", h(a.prepareSecondFactor))
	r.Post("/client/sign_ins/{id}/attempt_second_factor", h(a.attemptSecondFactor))

	r.Post("/client/sign_ups", h(a.createSignUp))
	r.Get("/client/sign_ups/{id}", h(a.getSignUp))
	r.Patch("/client/sign_ups/{id}", h(a.updateSignUp))
	r.Post("/client/sign_ups/{id}/prepare_verification", h(a.prepareSignUpVerification))
	r.Post("/client/sign_ups/{id}/attempt_verification", h(a.attemptSignUpVerification))

	r.Get("/client/sessions/{id}", h(a.getSession))
	r.Post("/client/sessions/{id}/tokens", h(a.createToken))
	r.Post("/client/sessions/{id}/touch", h(a.touchSession))
	r.Post("/client/sessions/{id}/end", h(a.endSession(session.StatusEnded)))
	r.Post("/client/sessions/{id}/remove", h(a.endSession(session.StatusRemoved)))
	r.Delete("/client/sessions", h(a.endAllSessions))

	r.Get("/verify", h(a.verifyEmailLink))
	a.mePhoneRoutes(r)
	a.web3Routes(r)
	a.passkeyRoutes(r)
	a.mfaRoutes(r)

	r.Get("/oauth_callback", h(a.oauthCallback))
	r.Post("/oauth_callback", h(a.oauthCallback))
	r.Get("/me/external_accounts", h(a.listExternalAccounts))
	r.Post("/me/external_accounts", h(a.connectExternalAccount))
	r.Patch("/me/external_accounts/{id}/reauthorize", h(a.reauthorizeExternalAccount))
	r.Delete("/me/external_accounts/{id}", h(a.deleteExternalAccount))
}

// writeResponse writes Clerk's {"response": ..., "client": ...} envelope.
func (a *API) writeResponse(w http.ResponseWriter, r *http.Request, response any) error {
	cj, err := a.clientJSON(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"response": response, "client": cj})
}
