// Package origins is the instance's trust list of web origins: who may call
// the frontend API with credentials and where people may be sent back to
// after signing in.
package origins

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
)

// Set knows which web origins may call the frontend API with credentials
// and be redirected to: the instance's own public URL and the configured
// allowed origins, compared exactly (scheme, host and port).
type Set struct {
	allowed map[string]bool
}

// New builds the set from the public URL and the allowed origins.
func New(publicURL string, allowed []string) *Set {
	o := &Set{allowed: map[string]bool{}}
	for _, raw := range append([]string{publicURL}, allowed...) {
		if origin, ok := originOf(raw); ok {
			o.allowed[origin] = true
		}
	}
	return o
}

func originOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// Allowed reports whether origin (scheme://host[:port]) is trusted.
func (o *Set) Allowed(origin string) bool {
	n, ok := originOf(origin)
	return ok && o.allowed[n] && strings.EqualFold(strings.TrimSuffix(origin, "/"), n)
}

// AllowedRedirect reports whether a post-sign-in redirect URL points at a
// trusted origin. Relative URLs are not accepted: the caller resolves them.
func (o *Set) AllowedRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" {
		return false
	}
	n, ok := originOf(raw)
	return ok && o.allowed[n]
}

// CORS answers preflights and tags responses for trusted origins only, with
// credentials. A state-changing request from an untrusted origin is refused
// outright: SameSite=Lax does not stop a sibling subdomain, and a
// form-encoded POST needs no preflight.
func (o *Set) CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !o.Allowed(origin) {
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				httpx.WriteError(w, r, apperr.New(apperr.KindForbidden, "origin_invalid", "Origin not allowed",
					"Requests from "+origin+" are not allowed. Add the origin to allowed_origins."))
				return
			}
			next.ServeHTTP(w, r) // readable by no page: no CORS headers
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", "Authorization, X-Request-Id")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
