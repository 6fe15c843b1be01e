package bapi

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

// invitationRoutes mounts /v1/invitations.
func (a *API) invitationRoutes(r chi.Router) {
	h := httpx.Adapt
	r.Get("/invitations", h(a.listInvitations))
	r.Post("/invitations", h(a.createInvitation))
	r.Post("/invitations/bulk", h(a.createInvitations))
	r.Post("/invitations/{id}/revoke", h(a.revokeInvitation))
}

type invitationJSON struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	Revoked        bool            `json:"revoked"`
	Status         string          `json:"status"`
	URL            *string         `json:"url"` // only when created: the ticket is not kept
	ExpiresAt      *int64          `json:"expires_at"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

func (a *API) invitationOf(inv store.Invitation, url *string) invitationJSON {
	meta := inv.PublicMetadata
	if len(meta) == 0 {
		meta = json.RawMessage(`{}`)
	}
	return invitationJSON{Object: "invitation", ID: inv.ID, EmailAddress: inv.EmailAddress, PublicMetadata: meta,
		Revoked: inv.Status == store.InvitationRevoked, Status: identity.InvitationStatus(inv, a.Invitations.Now()),
		URL: url, ExpiresAt: present.MsPtr(inv.ExpiresAt), CreatedAt: present.Ms(inv.CreatedAt), UpdatedAt: present.Ms(inv.UpdatedAt)}
}

// createInvitation serves POST /v1/invitations.
func (a *API) createInvitation(w http.ResponseWriter, r *http.Request) error {
	var in identity.InvitationInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	created, err := a.Invitations.Create(r.Context(), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.invitationOf(created.Invitation, &created.URL))
}

// createInvitations serves POST /v1/invitations/bulk: an array in, an
// array out, all created or none.
func (a *API) createInvitations(w http.ResponseWriter, r *http.Request) error {
	var in []identity.InvitationInput
	if err := httpx.DecodeJSONArray(r, &in); err != nil {
		return err
	}
	created, err := a.Invitations.CreateMany(r.Context(), in)
	if err != nil {
		return err
	}
	out := make([]invitationJSON, len(created))
	for i, c := range created {
		out[i] = a.invitationOf(c.Invitation, &c.URL)
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

// listInvitations serves GET /v1/invitations: a bare array, or
// {data, total_count} with paginated=true (which clerk-sdk-go sends).
func (a *API) listInvitations(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	offset, err := intParam(q, "offset", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	invs, total, err := a.Invitations.List(r.Context(), q["status"], q.Get("query"), q.Get("order_by"), limit, offset)
	if err != nil {
		return err
	}
	data := make([]invitationJSON, 0, len(invs))
	for _, inv := range invs {
		data = append(data, a.invitationOf(inv, nil))
	}
	switch q.Get("paginated") {
	case "true":
		return httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total_count": total})
	case "", "false":
		return httpx.WriteJSON(w, http.StatusOK, data)
	}
	return apperr.ParamValueInvalid("paginated", "paginated must be true or false.")
}

// revokeInvitation serves POST /v1/invitations/{id}/revoke.
func (a *API) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, err := a.Invitations.Revoke(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.invitationOf(inv, nil))
}
