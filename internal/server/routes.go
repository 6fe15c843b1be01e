package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/notify"
)

// PublicHandler is the router of the public listener: hosted pages, the
// frontend API, the OAuth/OIDC provider and well-known documents.
func (s *Server) PublicHandler() http.Handler {
	r := chi.NewRouter()
	s.common(r, "public")
	r.Get("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		_ = httpx.WriteRawJSON(w, http.StatusOK, s.Keyring.JWKS())
	})
	r.Route("/v1", func(r chi.Router) {
		r.Use(apiHeaders)
		s.FAPI.Routes(r)
	})
	s.Pages.Routes(r)
	s.OAuth.Routes(r)
	if s.Config.IsDevelopment() {
		r.Method(http.MethodGet, "/dev/outbox", notify.OutboxHandler(s.Notifier))
	}
	return r
}

// AdminHandler is the router of the admin listener: the Backend API under
// /v1 and the operator's endpoints.
func (s *Server) AdminHandler() http.Handler {
	r := chi.NewRouter()
	s.common(r, "admin")
	r.Method(http.MethodGet, "/metrics", s.Metrics.Handler())
	r.Route("/v1", func(r chi.Router) {
		r.Use(apiHeaders)
		s.BAPI.Routes(r)
	})
	return r
}

// common installs the middleware and endpoints both listeners share.
func (s *Server) common(r chi.Router, listener string) {
	r.Use(requestContext(s.Logger.With("listener", listener)), recoverer, accessLog,
		s.Metrics.Middleware(listener), bodyLimit(s.Config.HTTP.MaxBodyBytes))
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		_ = httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", httpx.Adapt(s.ready))
	r.NotFound(httpx.Adapt(func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.KindNotFound, "resource_not_found", "not found",
			"No endpoint "+r.Method+" "+r.URL.Path+" exists.")
	}))
	r.MethodNotAllowed(httpx.Adapt(func(w http.ResponseWriter, r *http.Request) error {
		return apperr.New(apperr.KindNotFound, "resource_not_found", "not found",
			"The endpoint "+r.URL.Path+" does not accept "+r.Method+".")
	}))
}

// ready reports whether the database answers: a replica that cannot reach it
// should be taken out of the load balancer, not restarted.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		httpx.Logger(r.Context()).Warn("readiness: database unreachable", "err", err)
		return apperr.New(apperr.KindUnavailable, "database_unavailable", "not ready",
			"The database is unreachable.")
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
