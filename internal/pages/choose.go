package pages

import (
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/session"
)

type account struct {
	SessionID, Name, Identifier, Initial string
	Active                               bool
}

type chooseData struct{ Accounts []account }

// accounts lists the signed-in accounts on this browser.
func (p *Pages) accounts(r *http.Request) ([]account, error) {
	st := stateOf(r)
	if st.client == nil {
		return nil, nil
	}
	all, err := p.sessions.ClientSessions(r.Context(), st.client.ID)
	if err != nil {
		return nil, err
	}
	var out []account
	for _, s := range all {
		if p.sessions.Status(s) != session.StatusActive {
			continue
		}
		u, err := p.users.GetUser(r.Context(), s.UserID)
		if err != nil {
			continue
		}
		a := account{SessionID: s.ID, Identifier: present.PrimaryIdentifier(u),
			Active: st.client.LastActiveSessionID != nil && *st.client.LastActiveSessionID == s.ID}
		a.Name = strings.TrimSpace(deref(u.FirstName) + " " + deref(u.LastName))
		if a.Name == "" {
			a.Name = a.Identifier
		}
		a.Initial = strings.ToUpper(firstRune(a.Name))
		out = append(out, a)
	}
	return out, nil
}

func (p *Pages) choosePage(w http.ResponseWriter, r *http.Request) error {
	v, err := p.newView(w, r, "Choose an account")
	if err != nil {
		return err
	}
	accts, err := p.accounts(r)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		return p.to(w, r, "/sign-in", v.RedirectURL)
	}
	v.Data = chooseData{Accounts: accts}
	return p.render(w, http.StatusOK, "choose", v)
}

// chooseSubmit makes the chosen account the active one and continues.
func (p *Pages) chooseSubmit(w http.ResponseWriter, r *http.Request) error {
	redirect, err := p.redirectURL(r)
	if err != nil {
		return err
	}
	if _, err := p.sessions.Touch(r.Context(), r.PostFormValue("session_id"), stateOf(r).client.ID); err != nil {
		return err
	}
	return p.done(w, r, redirect)
}

// signOut ends one session (session_id) or, without one, every session on
// this browser. With accounts left in multi-session mode, the chooser follows.
func (p *Pages) signOut(w http.ResponseWriter, r *http.Request) error {
	redirect, err := p.redirectURL(r)
	if err != nil {
		return err
	}
	st := stateOf(r)
	if id := r.PostFormValue("session_id"); id != "" {
		if _, err := p.sessions.End(r.Context(), id, st.client.ID, session.StatusEnded); err != nil && !apperr.IsKind(err, apperr.KindNotFound) {
			return err
		}
	} else if err := p.sessions.EndAllForClient(r.Context(), st.client.ID); err != nil {
		return err
	}
	if accts, _ := p.accounts(r); len(accts) > 0 {
		return p.to(w, r, "/sign-in/choose", redirect)
	}
	if redirect != "" {
		return p.done(w, r, redirect)
	}
	return p.to(w, r, "/sign-in", "")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return "?"
}
