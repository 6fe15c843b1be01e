package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/httpx"
)

func (a *API) getSession(w http.ResponseWriter, r *http.Request) error {
	cid, err := existingClientID(r)
	if err != nil {
		return err
	}
	s, err := a.Sessions.Get(r.Context(), chi.URLParam(r, "id"), cid)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.sessionOf(r.Context(), s))
}

// createToken mints a session JWT. It answers {"object":"token","jwt":...}
// without the client envelope, keeping the hot path to one read and a signature.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	cid, err := existingClientID(r)
	if err != nil {
		return err
	}
	azp := ""
	if o := r.Header.Get("Origin"); o != "" && a.Origins.Allowed(o) {
		azp = o
	}
	jwt, err := a.Sessions.MintToken(r.Context(), chi.URLParam(r, "id"), cid, azp)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"object": "token", "jwt": jwt})
}

func (a *API) touchSession(w http.ResponseWriter, r *http.Request) error {
	cid, err := existingClientID(r)
	if err != nil {
		return err
	}
	s, err := a.Sessions.Touch(r.Context(), chi.URLParam(r, "id"), cid)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.sessionOf(r.Context(), s))
}

// endSession serves both .../end (sign out) and .../remove (forget the
// account on this browser); they differ only in the status recorded.
func (a *API) endSession(status string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cid, err := existingClientID(r)
		if err != nil {
			return err
		}
		s, err := a.Sessions.End(r.Context(), chi.URLParam(r, "id"), cid, status)
		if err != nil {
			return err
		}
		return a.writeResponse(w, r, a.sessionOf(r.Context(), s))
	}
}

func (a *API) endAllSessions(w http.ResponseWriter, r *http.Request) error {
	cid, err := existingClientID(r)
	if err != nil {
		return err
	}
	if err := a.Sessions.EndAllForClient(r.Context(), cid); err != nil {
		return err
	}
	return a.writeResponse(w, r, nil)
}
