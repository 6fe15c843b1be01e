package fapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

type ctxKey int

const clientKey ctxKey = iota

// clientState is the client a request acts as, resolved once per request.
type clientState struct {
	client *store.Client
	native bool // the token travels in the Authorization header, not a cookie
}

func stateOf(r *http.Request) *clientState {
	if s, ok := r.Context().Value(clientKey).(*clientState); ok {
		return s
	}
	return &clientState{}
}

// resolveClient finds the request's client from the __client cookie or,
// for native apps, an "Authorization: Bearer <client token>" header.
func (a *API) resolveClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &clientState{native: r.URL.Query().Get("_is_native") == "1" || r.URL.Query().Get("_is_native") == "true"}
		token := ""
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, st.native = strings.TrimSpace(strings.TrimPrefix(auth, "Bearer ")), true
		} else if c, err := r.Cookie(session.CookieName); err == nil {
			token = c.Value
		}
		if token != "" {
			c, ok, err := a.Sessions.ResolveClient(r.Context(), token)
			if err != nil {
				writeErr(w, r, err)
				return
			}
			if ok {
				st.client = &c
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey, st)))
	})
}

// ensureClient returns the request's client, creating one (and handing its
// token to the browser or app) when there is none yet.
func (a *API) ensureClient(w http.ResponseWriter, r *http.Request) (store.Client, error) {
	st := stateOf(r)
	if st.client != nil {
		return *st.client, nil
	}
	token, c, err := a.Sessions.NewClient(r.Context())
	if err != nil {
		return store.Client{}, err
	}
	st.client = &c
	if st.native {
		w.Header().Set("Authorization", token)
	} else {
		http.SetCookie(w, a.clientCookie(token, int(a.Sessions.Settings().ClientTTL.Seconds())))
	}
	return c, nil
}

func (a *API) clientCookie(token string, maxAge int) *http.Cookie {
	return session.Cookie(a.Config.PublicURL, a.Config.IsDevelopment(), token, maxAge)
}

// refreshClient reloads the request's client after a handler changed it.
func (a *API) refreshClient(r *http.Request) (*store.Client, error) {
	st := stateOf(r)
	if st.client == nil {
		return nil, nil
	}
	c, err := a.Sessions.GetClient(r.Context(), st.client.ID)
	if err != nil {
		return nil, err
	}
	st.client = &c
	return &c, nil
}
