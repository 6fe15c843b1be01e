package bapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

func (a *API) writeUser(w http.ResponseWriter, u store.User, err error) error {
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, present.UserOf(a.Users, u, true))
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var in identity.CreateUserInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := a.Users.CreateUser(r.Context(), in)
	return a.writeUser(w, u, err)
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.Users.GetUser(r.Context(), chi.URLParam(r, "userID"))
	return a.writeUser(w, u, err)
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in identity.UpdateUserInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := a.Users.UpdateUser(r.Context(), chi.URLParam(r, "userID"), in)
	return a.writeUser(w, u, err)
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "userID")
	if err := a.Users.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf("user", id))
}

func (a *API) mergeMetadata(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Public  json.RawMessage `json:"public_metadata"`
		Private json.RawMessage `json:"private_metadata"`
		Unsafe  json.RawMessage `json:"unsafe_metadata"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := a.Users.MergeMetadata(r.Context(), chi.URLParam(r, "userID"), in.Public, in.Private, in.Unsafe)
	return a.writeUser(w, u, err)
}

// userAction serves the bodiless POST /v1/users/{id}/<action> endpoints.
func (a *API) userAction(fn func(context.Context, string) (store.User, error)) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := fn(r.Context(), chi.URLParam(r, "userID"))
		return a.writeUser(w, u, err)
	}
}

func (a *API) verifyPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password *string `json:"password"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Password == nil || *in.Password == "" {
		return apperr.ParamMissing("password")
	}
	if err := a.Users.CheckPassword(r.Context(), chi.URLParam(r, "userID"), *in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"verified": true})
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	f, err := userFilter(q, true)
	if err != nil {
		return err
	}
	users, err := a.Users.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]present.User, 0, len(users))
	for _, u := range users {
		out = append(out, present.UserOf(a.Users, u, true))
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) countUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	f, err := userFilter(q, false)
	if err != nil {
		return err
	}
	n, err := a.Users.CountUsers(r.Context(), f)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"object": "total_count", "total_count": n})
}
