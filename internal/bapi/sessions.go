package bapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

type sessionJSON struct {
	Object                   string  `json:"object"`
	ID                       string  `json:"id"`
	UserID                   string  `json:"user_id"`
	ClientID                 string  `json:"client_id"`
	Actor                    any     `json:"actor"`
	Status                   string  `json:"status"`
	LastActiveOrganizationID *string `json:"last_active_organization_id"`
	LastActiveAt             int64   `json:"last_active_at"`
	LatestActivity           any     `json:"latest_activity"`
	ExpireAt                 int64   `json:"expire_at"`
	AbandonAt                int64   `json:"abandon_at"`
	UpdatedAt                int64   `json:"updated_at"`
	CreatedAt                int64   `json:"created_at"`
}

func (a *API) sessionOf(s store.Session) sessionJSON {
	return sessionJSON{Object: "session", ID: s.ID, UserID: s.UserID, ClientID: s.ClientID,
		Status: a.Sessions.Status(s), LastActiveAt: present.Ms(s.LastActiveAt),
		ExpireAt: present.Ms(a.Sessions.ExpireAt(s)), AbandonAt: present.Ms(s.ExpireAt),
		UpdatedAt: present.Ms(s.UpdatedAt), CreatedAt: present.Ms(s.CreatedAt)}
}

var sessionStatuses = map[string]bool{"active": true, "ended": true, "removed": true, "revoked": true, "expired": true}

// listSessions serves GET /v1/sessions. The status filter and paging are
// the session service's: "active" and "expired" are told apart by the clock.
func (a *API) listSessions(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	f := store.SessionFilter{UserID: q.Get("user_id"), ClientID: q.Get("client_id")}
	status := q.Get("status")
	if status != "" && !sessionStatuses[status] {
		return apperr.ParamValueInvalid("status", "status must be one of active, ended, removed, revoked, expired.")
	}
	if f.UserID == "" && f.ClientID == "" {
		return apperr.New(apperr.KindInvalid, "form_param_missing", "is missing",
			"Either user_id or client_id must be given.").WithParam("user_id")
	}
	if f.Limit, err = intParam(q, "limit", defaultLimit, 1, maxLimit); err != nil {
		return err
	}
	if f.Offset, err = intParam(q, "offset", 0, 0, 1<<31-1); err != nil {
		return err
	}
	list, err := a.Sessions.List(r.Context(), f, status)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, 0, len(list))
	for _, s := range list {
		out = append(out, a.sessionOf(s))
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request) error {
	s, err := a.Sessions.Get(r.Context(), chi.URLParam(r, "id"), "")
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.sessionOf(s))
}

// revokeSession ends a session from the backend; the next token request fails.
func (a *API) revokeSession(w http.ResponseWriter, r *http.Request) error {
	s, err := a.Sessions.End(r.Context(), chi.URLParam(r, "id"), "", session.StatusRevoked)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.sessionOf(s))
}

func (a *API) createSessionToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ExpiresInSeconds *int `json:"expires_in_seconds"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.ExpiresInSeconds != nil {
		return apperr.UnknownParam("expires_in_seconds")
	}
	jwt, err := a.Sessions.MintToken(r.Context(), chi.URLParam(r, "id"), "", "")
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"object": "token", "jwt": jwt})
}

type clientJSON struct {
	Object                     string        `json:"object"`
	ID                         string        `json:"id"`
	SessionIDs                 []string      `json:"session_ids"`
	Sessions                   []sessionJSON `json:"sessions"`
	SignInID                   *string       `json:"sign_in_id"`
	SignUpID                   *string       `json:"sign_up_id"`
	LastActiveSessionID        *string       `json:"last_active_session_id"`
	LastAuthenticationStrategy *string       `json:"last_authentication_strategy"`
	UpdatedAt                  int64         `json:"updated_at"`
	CreatedAt                  int64         `json:"created_at"`
}

func (a *API) writeClient(w http.ResponseWriter, r *http.Request, c store.Client) error {
	sessions, err := a.Sessions.ClientSessions(r.Context(), c.ID)
	if err != nil {
		return err
	}
	out := clientJSON{Object: "client", ID: c.ID, SessionIDs: []string{}, Sessions: []sessionJSON{},
		SignInID: c.SignInID, SignUpID: c.SignUpID, LastActiveSessionID: c.LastActiveSessionID,
		LastAuthenticationStrategy: c.LastAuthenticationStrategy, UpdatedAt: present.Ms(c.UpdatedAt), CreatedAt: present.Ms(c.CreatedAt)}
	lastActive := false
	for _, s := range sessions {
		j := a.sessionOf(s)
		out.SessionIDs = append(out.SessionIDs, s.ID)
		out.Sessions = append(out.Sessions, j)
		lastActive = lastActive || (c.LastActiveSessionID != nil && *c.LastActiveSessionID == s.ID && j.Status == session.StatusActive)
	}
	// The stored pointer outlives its session when the session is revoked
	// with the user (ban), expires or is deleted with the user; like the
	// frontend API's client, name only a session that is still active.
	if !lastActive {
		out.LastActiveSessionID = nil
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := a.Sessions.GetClient(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return a.writeClient(w, r, c)
}

// verifyClient checks a client token (the __client cookie value a backend
// received) and returns its client.
func (a *API) verifyClient(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Token) == "" {
		return apperr.ParamMissing("token")
	}
	c, ok, err := a.Sessions.ResolveClient(r.Context(), in.Token)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.KindNotFound, "resource_not_found", "not found", "No active client has this token.")
	}
	return a.writeClient(w, r, c)
}
