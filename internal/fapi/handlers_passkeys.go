package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/store"
)

// The signed-in user's passkeys (/v1/me/passkeys), in Clerk's shapes:
// POST creates a pending passkey whose verification's nonce holds the
// creation options; attempt_verification takes the browser's credential.

func (a *API) passkeyRoutes(r chi.Router) {
	h := a.adaptMe
	r.Post("/me/passkeys", h(a.createPasskey))
	r.Get("/me/passkeys/{id}", h(a.getPasskey))
	r.Patch("/me/passkeys/{id}", h(a.updatePasskey))
	r.Delete("/me/passkeys/{id}", h(a.deletePasskey))
	r.Post("/me/passkeys/{id}/attempt_verification", h(a.attemptPasskeyVerification))
}

// signedIn is what a /v1/me request acts for: the client and its
// signed-in session (see meSession).
type signedIn struct {
	clientID string
	session  store.Session
}

// adaptMe runs fn for a signed-in request; otherwise 401 signed_out.
func (a *API) adaptMe(fn func(http.ResponseWriter, *http.Request, signedIn) error) http.HandlerFunc {
	return httpx.Adapt(func(w http.ResponseWriter, r *http.Request) error {
		s, _, err := a.meSession(r)
		if err != nil {
			return err
		}
		return fn(w, r, signedIn{clientID: s.ClientID, session: s})
	})
}

// passkeyFactors is the environment's first factors for the passkey
// attribute: passkey when enabled.
func passkeyFactors(c config.Config) []string {
	if c.Auth.Passkeys.Enabled {
		return []string{signin.StrategyPasskey}
	}
	return []string{}
}

type passkeyVerificationJSON struct {
	Object   string `json:"object"`
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts int    `json:"attempts"`
	ExpireAt int64  `json:"expire_at"`
	Nonce    string `json:"nonce,omitempty"`
}

type passkeyJSON struct {
	ID           string                   `json:"id"`
	Object       string                   `json:"object"`
	Name         string                   `json:"name"`
	LastUsedAt   *int64                   `json:"last_used_at"`
	Verification *passkeyVerificationJSON `json:"verification"`
	CreatedAt    int64                    `json:"created_at"`
	UpdatedAt    int64                    `json:"updated_at"`
}

func passkeyOf(v signin.PasskeyView) passkeyJSON {
	p := v.Passkey
	out := passkeyJSON{ID: p.ID, Object: "passkey", Name: p.Name, LastUsedAt: present.MsPtr(p.LastUsedAt),
		CreatedAt: present.Ms(p.CreatedAt), UpdatedAt: present.Ms(p.UpdatedAt)}
	if ver := v.Verification; ver != nil {
		out.Verification = &passkeyVerificationJSON{Object: "verification_passkey", Status: ver.Status,
			Strategy: signin.StrategyPasskey, Attempts: ver.Attempts, ExpireAt: present.Ms(ver.ExpireAt), Nonce: v.Nonce}
	} else if p.VerifiedAt != nil {
		out.Verification = &passkeyVerificationJSON{Object: "verification_passkey", Status: "verified",
			Strategy: signin.StrategyPasskey}
	}
	return out
}

func (a *API) createPasskey(w http.ResponseWriter, r *http.Request, me signedIn) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	if err := f.done(); err != nil {
		return err
	}
	v, err := a.Engine.BeginPasskeyRegistration(r.Context(), me.clientID, me.session.UserID, clientIP(r))
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, passkeyOf(v))
}

func (a *API) getPasskey(w http.ResponseWriter, r *http.Request, me signedIn) error {
	v, err := a.Engine.GetPasskey(r.Context(), me.session.UserID, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, passkeyOf(v))
}

func (a *API) attemptPasskeyVerification(w http.ResponseWriter, r *http.Request, me signedIn) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	strategy, credential := f.get("strategy"), f.get("public_key_credential")
	if err := f.done(); err != nil {
		return err
	}
	if strategy != "" && strategy != signin.StrategyPasskey {
		return apperr.ParamValueInvalid("strategy", "strategy must be passkey.")
	}
	v, err := a.Engine.AttemptPasskeyRegistration(r.Context(), me.clientID, me.session.UserID, chi.URLParam(r, "id"), credential, clientIP(r))
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, passkeyOf(v))
}

func (a *API) updatePasskey(w http.ResponseWriter, r *http.Request, me signedIn) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	name := f.str("name")
	if err := f.done(); err != nil {
		return err
	}
	if name == nil {
		v, err := a.Engine.GetPasskey(r.Context(), me.session.UserID, chi.URLParam(r, "id"))
		if err != nil {
			return err
		}
		return a.writeResponse(w, r, passkeyOf(v))
	}
	p, err := a.Engine.RenamePasskey(r.Context(), me.session.UserID, chi.URLParam(r, "id"), *name)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, passkeyOf(signin.PasskeyView{Passkey: p}))
}

func (a *API) deletePasskey(w http.ResponseWriter, r *http.Request, me signedIn) error {
	id := chi.URLParam(r, "id")
	if err := a.Engine.DeletePasskey(r.Context(), me.session.UserID, id); err != nil {
		return err
	}
	return a.writeResponse(w, r, present.DeletedOf("passkey", id))
}
