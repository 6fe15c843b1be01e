package bapi

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

type redirectURLJSON struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	URL       string `json:"url"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

func redirectURLOf(u store.RedirectURL) redirectURLJSON {
	return redirectURLJSON{Object: "redirect_url", ID: u.ID, URL: u.URL,
		CreatedAt: present.Ms(u.CreatedAt), UpdatedAt: present.Ms(u.UpdatedAt)}
}

func (a *API) redirectURLRoutes(r chi.Router) {
	h := httpx.Adapt
	r.Get("/redirect_urls", h(a.listRedirectURLs))
	r.Post("/redirect_urls", h(a.createRedirectURL))
	r.Get("/redirect_urls/{id}", h(a.getRedirectURL))
	r.Delete("/redirect_urls/{id}", h(a.deleteRedirectURL))
}

// page is the paginated/limit/offset trio of Clerk's list endpoints that
// answer a bare array unless paginated=true asks for {data, total_count}.
type page struct {
	paginated     bool
	limit, offset int
}

func pageParams(q url.Values) (page, error) {
	var p page
	switch q.Get("paginated") {
	case "", "false":
	case "true":
		p.paginated = true
	default:
		return p, apperr.ParamValueInvalid("paginated", "paginated must be true or false.")
	}
	var err error
	if p.limit, err = intParam(q, "limit", defaultLimit, 1, maxLimit); err != nil {
		return p, err
	}
	p.offset, err = intParam(q, "offset", 0, 0, 1<<31-1)
	return p, err
}

// write answers a list in the shape the caller asked for.
func (p page) write(w http.ResponseWriter, data any, total int64) error {
	if p.paginated {
		return httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total_count": total})
	}
	return httpx.WriteJSON(w, http.StatusOK, data)
}

func (a *API) listRedirectURLs(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	p, err := pageParams(q)
	if err != nil {
		return err
	}
	list, total, err := a.RedirectURLs.List(r.Context(), p.limit, p.offset)
	if err != nil {
		return err
	}
	out := make([]redirectURLJSON, 0, len(list))
	for _, u := range list {
		out = append(out, redirectURLOf(u))
	}
	return p.write(w, out, total)
}

func (a *API) createRedirectURL(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL *string `json:"url"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.URL == nil {
		return apperr.ParamMissing("url")
	}
	u, err := a.RedirectURLs.Create(r.Context(), *in.URL)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, redirectURLOf(u))
}

func (a *API) getRedirectURL(w http.ResponseWriter, r *http.Request) error {
	u, err := a.RedirectURLs.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, redirectURLOf(u))
}

func (a *API) deleteRedirectURL(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if err := a.RedirectURLs.Delete(r.Context(), id); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf("redirect_url", id))
}
