package fapi

import (
	"net/http"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// What every /v1/me route starts with: the signed-in session and user, and
// a strict form reader.

// meSession is the request's signed-in session and its user:
// ?_clerk_session_id= when given (a multi-session browser), else the
// client's active session.
func (a *API) meSession(r *http.Request) (store.Session, store.User, error) {
	st := stateOf(r)
	signedOut := apperr.New(apperr.KindUnauthenticated, "signed_out", "You are signed out",
		"Sign in before managing your account.")
	if st.client == nil {
		return store.Session{}, store.User{}, signedOut
	}
	sid := r.URL.Query().Get("_clerk_session_id")
	if sid == "" && st.client.LastActiveSessionID != nil {
		sid = *st.client.LastActiveSessionID
	}
	if sid == "" {
		return store.Session{}, store.User{}, signedOut
	}
	s, err := a.Sessions.Get(r.Context(), sid, st.client.ID)
	if err != nil || a.Sessions.Status(s) != session.StatusActive {
		return store.Session{}, store.User{}, signedOut
	}
	u, err := a.Users.GetUser(r.Context(), s.UserID)
	return s, u, err
}

// meUser is the signed-in user of the request (see meSession).
func (a *API) meUser(r *http.Request) (store.User, error) {
	_, u, err := a.meSession(r)
	return u, err
}

// meForm reads the body of a /v1/me request: read picks the fields,
// unknown ones are refused.
func meForm(r *http.Request, read func(*form)) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	read(f)
	return f.done()
}
