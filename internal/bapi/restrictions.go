package bapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

// restrictionRoutes mounts the allowlist, the blocklist and the
// restriction switches.
func (a *API) restrictionRoutes(r chi.Router) {
	h := httpx.Adapt
	for _, list := range []string{store.Allowlist, store.Blocklist} {
		r.Get("/"+list+"_identifiers", h(a.listRestrictionIdentifiers(list)))
		r.Post("/"+list+"_identifiers", h(a.createRestrictionIdentifier(list)))
		r.Delete("/"+list+"_identifiers/{id}", h(a.deleteRestrictionIdentifier(list)))
	}
	r.Patch("/instance/restrictions", h(a.updateRestrictions))
}

type restrictionIdentifierJSON struct {
	Object         string  `json:"object"`
	ID             string  `json:"id"`
	InvitationID   *string `json:"invitation_id,omitempty"`
	Identifier     string  `json:"identifier"`
	IdentifierType string  `json:"identifier_type"`
	InstanceID     *string `json:"instance_id"`
	CreatedAt      int64   `json:"created_at"`
	UpdatedAt      int64   `json:"updated_at"`
}

func restrictionIdentifierOf(e store.RestrictionIdentifier) restrictionIdentifierJSON {
	shown := e.Identifier
	if e.IdentifierType == identity.KindWallet {
		shown = identity.ChecksumAddress(shown)
	}
	return restrictionIdentifierJSON{Object: e.List + "_identifier", ID: e.ID, Identifier: shown,
		IdentifierType: e.IdentifierType, CreatedAt: present.Ms(e.CreatedAt), UpdatedAt: present.Ms(e.UpdatedAt)}
}

// listRestrictionIdentifiers serves GET /v1/{allow,block}list_identifiers.
// Clerk answers a bare array unless paginated=true asks for
// {data, total_count} (which clerk-sdk-go always does).
func (a *API) listRestrictionIdentifiers(list string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := httpx.Query(r)
		if err != nil {
			return err
		}
		limit, err := intParam(q, "limit", maxLimit, 1, maxLimit)
		if err != nil {
			return err
		}
		offset, err := intParam(q, "offset", 0, 0, 1<<31-1)
		if err != nil {
			return err
		}
		entries, total, err := a.Restrictions.List(r.Context(), list, limit, offset)
		if err != nil {
			return err
		}
		data := make([]restrictionIdentifierJSON, 0, len(entries))
		for _, e := range entries {
			data = append(data, restrictionIdentifierOf(e))
		}
		switch q.Get("paginated") {
		case "true":
			return httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total_count": total})
		case "", "false":
			return httpx.WriteJSON(w, http.StatusOK, data)
		}
		return apperr.ParamValueInvalid("paginated", "paginated must be true or false.")
	}
}

type createRestrictionIdentifierBody struct {
	Identifier string `json:"identifier"`
	Notify     *bool  `json:"notify"`
}

// createRestrictionIdentifier serves POST /v1/{allow,block}list_identifiers.
func (a *API) createRestrictionIdentifier(list string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in createRestrictionIdentifierBody
		if err := httpx.DecodeJSON(r, &in); err != nil {
			return err
		}
		if in.Notify != nil {
			if list == store.Blocklist {
				return apperr.UnknownParam("notify")
			}
		}
		e, err := a.Restrictions.AddToList(r.Context(), list, in.Identifier)
		if err != nil {
			return err
		}
		// notify invites an allowlisted email address (not a domain) by email;
		// if the invitation cannot be made, the entry is taken back.
		if in.Notify != nil && *in.Notify && e.IdentifierType == identity.KindEmail && e.Identifier[0] != '*' {
			yes := true
			if _, err := a.Invitations.Create(r.Context(), identity.InvitationInput{EmailAddress: e.Identifier, IgnoreExisting: &yes}); err != nil {
				_ = a.Restrictions.RemoveFromList(r.Context(), list, e.ID)
				return err
			}
		}
		return httpx.WriteJSON(w, http.StatusOK, restrictionIdentifierOf(e))
	}
}

func (a *API) deleteRestrictionIdentifier(list string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := chi.URLParam(r, "id")
		if err := a.Restrictions.RemoveFromList(r.Context(), list, id); err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf(list+"_identifier", id))
	}
}

type instanceRestrictionsJSON struct {
	Object                      string `json:"object"`
	Allowlist                   bool   `json:"allowlist"`
	Blocklist                   bool   `json:"blocklist"`
	ListsDisabledOnSignIn       bool   `json:"allowlist_blocklist_disabled_on_sign_in"`
	BlockEmailSubaddresses      bool   `json:"block_email_subaddresses"`
	BlockDisposableEmailDomains bool   `json:"block_disposable_email_domains"`
	IgnoreDotsForGmailAddresses bool   `json:"ignore_dots_for_gmail_addresses"`
}

// updateRestrictions serves PATCH /v1/instance/restrictions.
func (a *API) updateRestrictions(w http.ResponseWriter, r *http.Request) error {
	var in identity.RestrictionsUpdate
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	s, err := a.Restrictions.Update(r.Context(), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, instanceRestrictionsJSON{Object: "instance_restrictions",
		Allowlist: s.Allowlist, Blocklist: s.Blocklist, ListsDisabledOnSignIn: s.ListsDisabledOnSignIn,
		BlockEmailSubaddresses: s.BlockEmailSubaddresses, BlockDisposableEmailDomains: s.BlockDisposableEmailDomains})
}
