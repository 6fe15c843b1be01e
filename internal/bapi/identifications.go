package bapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

// The email address and phone number endpoints share one implementation,
// parameterised by identification type.
const (
	emailType = store.TypeEmail
	phoneType = store.TypePhone
)

func (a *API) createIdentification(typ string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in identity.AddIdentificationInput
		if err := httpx.DecodeJSON(r, &in); err != nil {
			return err
		}
		in.Type = typ
		idn, err := a.Users.AddIdentification(r.Context(), in)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, present.IdentificationOf(idn))
	}
}

func (a *API) getIdentification(typ string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		idn, err := a.Users.GetIdentification(r.Context(), typ, chi.URLParam(r, "id"))
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, present.IdentificationOf(idn))
	}
}

func (a *API) updateIdentification(typ string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in identity.UpdateIdentificationInput
		if err := httpx.DecodeJSON(r, &in); err != nil {
			return err
		}
		idn, err := a.Users.UpdateIdentification(r.Context(), typ, chi.URLParam(r, "id"), in)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, present.IdentificationOf(idn))
	}
}

func (a *API) deleteIdentification(typ string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := chi.URLParam(r, "id")
		if err := a.Users.DeleteIdentification(r.Context(), typ, id); err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf(typ, id))
	}
}
