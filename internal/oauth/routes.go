package oauth

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Routes mounts the provider's endpoints on the public router.
func (p *Provider) Routes(r chi.Router) {
	r.Get("/.well-known/openid-configuration", p.Discovery)
	r.Get("/.well-known/oauth-authorization-server", p.AuthorizationServerMetadata)
	authorize := func(w http.ResponseWriter, r *http.Request) {
		if err := p.Authorize(w, r); err != nil {
			ErrorPage(w, r, err)
		}
	}
	r.Get("/oauth/authorize", authorize)
	r.Post("/oauth/authorize", authorize)
	r.Post("/oauth/token", p.Token)
	r.Get("/oauth/userinfo", p.UserInfo)
	r.Post("/oauth/userinfo", p.UserInfo)
	r.Post("/oauth/token_info", p.Introspect)
	r.Post("/oauth/token/revoke", p.Revoke)
	r.Post("/oauth/register", p.Register)
	r.Get("/oauth/end_session", p.EndSession)
	r.Post("/oauth/end_session", p.EndSession)
}
