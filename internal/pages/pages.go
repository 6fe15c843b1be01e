// Package pages serves the hosted sign-in, sign-up and account pages. They
// are server-rendered forms that work without JavaScript and run on the same
// sign-in engine as the frontend API: a page is one more client of it.
package pages

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/origins"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/web"
)

// Pages is the hosted pages' handler set.
type Pages struct {
	config   config.Config
	sessions *session.Service
	users    *identity.Service
	engine   *signin.Service
	oauth    *oauth.Provider
	origins  *origins.Set
	csrfKey  []byte
	tmpl     map[string]*template.Template
	MFA      *mfa.Service // second factors (account_mfa.go, sign_in_second_factor.go)
}

// New parses the templates and derives the CSRF key from the encryption key.
func New(cfg config.Config, sessions *session.Service, users *identity.Service, engine *signin.Service,
	provider *oauth.Provider, trusted *origins.Set, encryptionKey []byte) (*Pages, error) {
	m := hmac.New(sha256.New, encryptionKey)
	m.Write([]byte("latchkey/pages/csrf/v1"))
	p := &Pages{config: cfg, sessions: sessions, users: users, engine: engine, oauth: provider, origins: trusted,
		csrfKey: m.Sum(nil), tmpl: map[string]*template.Template{}}
	names, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == "templates/layout.html" || strings.HasPrefix(name, "templates/_") {
			continue // the layout and partials (_*.html) go into every page
		}
		t, err := template.New("").Funcs(funcs).ParseFS(web.Templates, "templates/layout.html", "templates/_*.html", name)
		if err != nil {
			return nil, fmt.Errorf("pages: %s: %w", name, err)
		}
		p.tmpl[name[len("templates/"):len(name)-len(".html")]] = t
	}
	return p, nil
}

var funcs = template.FuncMap{}

// Routes mounts the pages on the public router.
func (p *Pages) Routes(r chi.Router) {
	h := p.adapt
	r.Group(func(r chi.Router) {
		r.Use(p.securityHeaders, p.withClient)
		r.Get("/sign-in", h(p.signInPage))
		r.Post("/sign-in", h(p.csrf(p.signInSubmit)))
		r.Get("/sign-in/factor", h(p.factorPage))
		r.Post("/sign-in/password", h(p.csrf(p.passwordSubmit)))
		r.Post("/sign-in/code/send", h(p.csrf(p.codeSend)))
		r.Get("/sign-in/code", h(p.codePage))
		r.Post("/sign-in/code", h(p.csrf(p.codeSubmit)))
		r.Post("/sign-in/link/send", h(p.csrf(p.linkSend)))
		r.Get("/sign-in/link", h(p.linkPage))
		r.Post("/sign-in/reset/send", h(p.csrf(p.resetSend)))
		r.Get("/sign-in/reset", h(p.resetPage))
		r.Post("/sign-in/reset", h(p.csrf(p.resetSubmit)))
		r.Get("/sign-in/second-factor", h(p.secondFactorPage))
		r.Post("/sign-in/second-factor", h(p.csrf(p.secondFactorSubmit)))
		r.Post("/sign-in/second-factor/send", h(p.csrf(p.secondFactorSend)))
		r.Get("/sign-in/choose", h(p.choosePage))
		r.Post("/sign-in/choose", h(p.csrf(p.chooseSubmit)))
		r.Post("/sign-out", h(p.csrf(p.signOut)))

		r.Get("/sign-up", h(p.signUpPage))
		r.Post("/sign-up", h(p.csrf(p.signUpSubmit)))
		p.signUpCodeRoutes(r, emailStep)

		p.phoneFlowRoutes(r)
		p.accountRoutes(r)
		p.socialRoutes(r)
		r.Get("/oauth/consent", h(p.consentPage))
		r.Post("/oauth/consent", h(p.csrf(p.consentSubmit)))
	})
	r.Get("/static/*", staticHandler())
	r.Get("/theme.css", p.theme)
	r.Get("/latchkey.js", scriptHandler(p.config.PublicURL))
}

// securityHeaders go on every page: no framing (clickjacking), no inline
// script, no referrer leaking sign-in parameters, and no caching of pages
// that show personal data.
// There is no form-action directive: browsers apply it to every redirect
// after a form, and a sign-in legitimately ends on any registered OAuth
// client's redirect URI. Forms are server-rendered from escaped templates.
func (p *Pages) securityHeaders(next http.Handler) http.Handler {
	// script-src and connect-src 'self': the only script is our own
	// /static/passkeys.js, which talks to the frontend API on this origin.
	csp := "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
