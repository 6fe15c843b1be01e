package pages

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

type ctxKey int

const clientKey ctxKey = iota

type clientState struct{ client *store.Client }

// withClient resolves the browser's client from the shared __client cookie.
func (p *Pages) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &clientState{}
		if c, err := r.Cookie(session.CookieName); err == nil {
			cl, ok, err := p.sessions.ResolveClient(r.Context(), c.Value)
			if err != nil {
				httpx.WriteError(w, r, err)
				return
			}
			if ok {
				st.client = &cl
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey, st)))
	})
}

func stateOf(r *http.Request) *clientState {
	if s, ok := r.Context().Value(clientKey).(*clientState); ok {
		return s
	}
	return &clientState{}
}

// ensureClient gives the browser a client (and cookie) if it has none, so
// that forms can carry a CSRF token bound to it.
func (p *Pages) ensureClient(w http.ResponseWriter, r *http.Request) (store.Client, error) {
	st := stateOf(r)
	if st.client != nil {
		return *st.client, nil
	}
	token, c, err := p.sessions.NewClient(r.Context())
	if err != nil {
		return store.Client{}, err
	}
	http.SetCookie(w, session.Cookie(p.config.PublicURL, p.config.IsDevelopment(), token, int(p.sessions.Settings().ClientTTL.Seconds())))
	st.client = &c
	return c, nil
}

// csrfToken is bound to the client: a page of another browser cannot post
// as this one, and no server-side token store is needed.
func (p *Pages) csrfToken(clientID string) string {
	m := hmac.New(sha256.New, p.csrfKey)
	m.Write([]byte(clientID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrf guards a form handler: the request must come from our own origin
// (when the browser says) and carry the client's token.
func (p *Pages) csrf(next httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if o := r.Header.Get("Origin"); o != "" && o != "null" && !sameOrigin(o, p.config.PublicURL) {
			return csrfFailed()
		}
		st := stateOf(r)
		if st.client == nil {
			return csrfFailed()
		}
		if err := r.ParseForm(); err != nil {
			return apperr.MalformedBody("The form could not be read.")
		}
		got := r.PostForm.Get("csrf_token")
		if !hmac.Equal([]byte(got), []byte(p.csrfToken(st.client.ID))) {
			return csrfFailed()
		}
		return next(w, r)
	}
}

func csrfFailed() error {
	return apperr.New(apperr.KindForbidden, "csrf_invalid", "This form has expired.",
		"The form was not sent from this browser's page or has expired. Reload the page and try again.")
}

func sameOrigin(origin, publicURL string) bool {
	a, err1 := url.Parse(origin)
	b, err2 := url.Parse(publicURL)
	return err1 == nil && err2 == nil && strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
