package pages

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/opt"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

func (p *Pages) accountRoutes(r chi.Router) {
	h := p.adapt
	r.Get("/user", h(p.accountPage))
	r.Post("/user/profile", h(p.csrf(p.signedIn(p.profileSubmit))))
	r.Post("/user/emails", h(p.csrf(p.signedIn(p.emailAdd))))
	r.Post("/user/emails/{id}/send", h(p.csrf(p.signedIn(p.emailSend))))
	r.Get("/user/emails/{id}/verify", h(p.signedIn(p.emailVerifyPage)))
	r.Post("/user/emails/{id}/verify", h(p.csrf(p.signedIn(p.emailVerifySubmit))))
	r.Post("/user/emails/{id}/primary", h(p.csrf(p.signedIn(p.emailPrimary))))
	r.Post("/user/emails/{id}/delete", h(p.csrf(p.signedIn(p.emailDelete))))
	r.Post("/user/password", h(p.csrf(p.signedIn(p.passwordChange))))
	r.Post("/user/sessions/{id}/revoke", h(p.csrf(p.signedIn(p.sessionRevoke))))
	r.Post("/user/delete", h(p.csrf(p.signedIn(p.deleteAccount))))
	r.Post("/user/apps/{id}/revoke", h(p.csrf(p.signedIn(p.appRevoke))))
	p.phoneRoutes(r)
	p.passkeyAccountRoutes(r)
	p.mfaRoutes(r)
}

type ctxUser struct {
	session store.Session
	user    store.User
}

// signedIn runs h for the browser's active session, or sends the person to
// sign in and come back.
func (p *Pages) signedIn(h func(http.ResponseWriter, *http.Request, ctxUser) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		cu, ok, err := p.currentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			return p.to(w, r, "/sign-in", p.config.PublicURL+"/user")
		}
		return h(w, r, cu)
	}
}

func (p *Pages) currentUser(r *http.Request) (ctxUser, bool, error) {
	st := stateOf(r)
	if st.client == nil || st.client.LastActiveSessionID == nil {
		return ctxUser{}, false, nil
	}
	s, err := p.sessions.Get(r.Context(), *st.client.LastActiveSessionID, st.client.ID)
	if err != nil || p.sessions.Status(s) != session.StatusActive {
		return ctxUser{}, false, nil
	}
	u, err := p.users.GetUser(r.Context(), s.UserID)
	if err != nil {
		return ctxUser{}, false, nil
	}
	return ctxUser{session: s, user: u}, true, nil
}

type emailRow struct {
	ID, Address       string
	Verified, Primary bool
}

type sessionRow struct {
	ID, Created, LastActive string
	Current                 bool
}

type accountData struct {
	Identifier, FirstName, LastName, Username, CurrentSessionID string
	NamesOn, UsernameOn, PasswordOn, HasPassword, CanDelete     bool
	Emails                                                      []emailRow
	PhonesOn, SMSReady                                          bool
	Phones                                                      []phoneRow
	Sessions                                                    []sessionRow
	Apps                                                        []appRow
	PasskeysOn, PasskeyRoom                                     bool
	Passkeys                                                    []passkeyRow
	MFA                                                         accountMFA // account_mfa.go
	Connections                                                 []connectionRow
	Connectable                                                 []socialButton
}

type appRow struct {
	ID, Name, Scopes, Granted string
}

var notices = map[string]string{
	"profile": "Your profile was saved.", "email_added": "We sent a verification code to the new address.",
	"email_verified": "The email address is verified.", "primary": "Your primary email address changed.",
	"email_removed": "The email address was removed.", "password": "Your password was changed.",
	"revoked": "That device was signed out.", "app_revoked": "The application's access was revoked.",
	"phone_verified": "The phone number is verified.", "phone_primary": "Your primary phone number changed.",
	"phone_removed": "The phone number was removed.",
	"connected":     "The account was connected.", "disconnected": "The account was disconnected.",
}

func (p *Pages) accountPage(w http.ResponseWriter, r *http.Request) error {
	return p.signedIn(func(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
		v, err := p.newView(w, r, "Your account")
		if err != nil {
			return err
		}
		v.Notice = notices[r.URL.Query().Get("done")]
		return p.renderAccount(w, r, http.StatusOK, v, cu)
	})(w, r)
}

func (p *Pages) renderAccount(w http.ResponseWriter, r *http.Request, status int, v *view, cu ctxUser) error {
	u := cu.user
	d := accountData{Identifier: present.PrimaryIdentifier(u), FirstName: deref(u.FirstName), LastName: deref(u.LastName),
		Username: deref(u.Username), CurrentSessionID: cu.session.ID,
		NamesOn:    p.config.Auth.SignUp.FirstName != "off" || p.config.Auth.SignUp.LastName != "off",
		UsernameOn: p.config.Auth.Identifiers.Username.Enabled, PasswordOn: p.config.Auth.FirstFactors.Password,
		HasPassword: u.PasswordDigest != nil, CanDelete: u.DeleteSelfEnabled && p.config.Users.DeleteSelfEnabled}
	for _, i := range u.Identifications {
		if i.Type == store.TypeEmail {
			d.Emails = append(d.Emails, emailRow{ID: i.ID, Address: i.Identifier, Verified: i.Verified,
				Primary: u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == i.ID})
		}
	}
	// Numbers can be added and verified when texts can be sent; numbers an
	// operator set are listed (and removable) either way.
	d.Phones, d.SMSReady = phoneRows(u), p.config.Auth.Identifiers.PhoneNumber.Enabled && p.engine.SMSReady()
	d.PhonesOn = d.SMSReady || len(d.Phones) > 0
	all, err := p.sessions.List(r.Context(), store.SessionFilter{UserID: u.ID, Limit: 50}, session.StatusActive)
	if err != nil {
		return err
	}
	for _, s := range all {
		if p.sessions.Status(s) != session.StatusActive {
			continue
		}
		d.Sessions = append(d.Sessions, sessionRow{ID: s.ID, Current: s.ID == cu.session.ID,
			Created: s.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"), LastActive: since(p.sessions.Now(), s.LastActiveAt)})
	}
	apps, err := p.oauth.ConnectedApps(r.Context(), u.ID)
	if err != nil {
		return err
	}
	for _, a := range apps {
		d.Apps = append(d.Apps, appRow{ID: a.ApplicationID, Name: a.Name, Scopes: a.Scopes,
			Granted: a.GrantedAt.UTC().Format("2 Jan 2006")})
	}
	p.passkeyData(&d, u)
	d.MFA = p.accountMFAOf(u)
	d.Connections, d.Connectable = p.connections(u)
	v.Wide, v.Data = true, d
	return p.render(w, status, "account", v)
}

func since(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	}
	return plural(int(d.Hours()/24), "day") + " ago"
}

func plural(n int, unit string) string {
	s := strconv.Itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

// accountError re-renders the account page with err next to its field.
func (p *Pages) accountError(w http.ResponseWriter, r *http.Request, cu ctxUser, err error, fields ...string) error {
	v, verr := p.newView(w, r, "Your account")
	if verr != nil {
		return verr
	}
	v.fieldErrors(err, fields...)
	return p.renderAccount(w, r, statusFor(err), v, cu)
}

func (p *Pages) back(w http.ResponseWriter, r *http.Request, done string) error {
	http.Redirect(w, r, "/user?done="+done, http.StatusSeeOther)
	return nil
}

func (p *Pages) profileSubmit(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	in := identity.UpdateUserInput{}
	if p.config.Auth.SignUp.FirstName != "off" || p.config.Auth.SignUp.LastName != "off" {
		in.FirstName, in.LastName = opt.Of(r.PostFormValue("first_name")), opt.Of(r.PostFormValue("last_name"))
	}
	if p.config.Auth.Identifiers.Username.Enabled {
		in.Username = opt.Of(strings.TrimSpace(r.PostFormValue("username")))
	}
	if _, err := p.users.UpdateUser(r.Context(), cu.user.ID, in); err != nil {
		return p.accountError(w, r, cu, err, "first_name", "last_name", "username")
	}
	return p.back(w, r, "profile")
}

func (p *Pages) emailAdd(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	idn, err := p.users.AddIdentification(r.Context(), identity.AddIdentificationInput{Type: store.TypeEmail, BySelf: true,
		UserID: cu.user.ID, EmailAddress: strings.TrimSpace(r.PostFormValue("email_address"))})
	if err != nil {
		return p.accountError(w, r, cu, err, "email_address")
	}
	if err := p.engine.PrepareEmailVerification(r.Context(), cu.session.ClientID, cu.user.ID, idn.ID, clientIP(r)); err != nil {
		return p.accountError(w, r, cu, err, "email_address")
	}
	http.Redirect(w, r, "/user/emails/"+idn.ID+"/verify", http.StatusSeeOther)
	return nil
}

func (p *Pages) emailSend(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	id := chi.URLParam(r, "id")
	if err := p.engine.PrepareEmailVerification(r.Context(), cu.session.ClientID, cu.user.ID, id, clientIP(r)); err != nil {
		return p.accountError(w, r, cu, err)
	}
	http.Redirect(w, r, "/user/emails/"+id+"/verify", http.StatusSeeOther)
	return nil
}

func (p *Pages) emailOf(cu ctxUser, id string) (store.Identification, error) {
	for _, i := range cu.user.Identifications {
		if i.ID == id && i.Type == store.TypeEmail {
			return i, nil
		}
	}
	return store.Identification{}, apperr.NotFound()
}

func (p *Pages) emailVerifyView(w http.ResponseWriter, r *http.Request, cu ctxUser) (*view, error) {
	idn, err := p.emailOf(cu, chi.URLParam(r, "id"))
	if err != nil {
		return nil, err
	}
	v, err := p.newView(w, r, "Verify your email")
	if err != nil {
		return nil, err
	}
	v.Data = codeData{Heading: "Verify your email", To: idn.Identifier, Action: "/user/emails/" + idn.ID + "/verify",
		Resend: "/user/emails/" + idn.ID + "/send", Submit: "Verify"}
	return v, nil
}

func (p *Pages) emailVerifyPage(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	v, err := p.emailVerifyView(w, r, cu)
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, "code", v)
}

func (p *Pages) emailVerifySubmit(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	v, err := p.emailVerifyView(w, r, cu)
	if err != nil {
		return err
	}
	err = p.engine.AttemptEmailVerification(r.Context(), cu.user.ID, chi.URLParam(r, "id"), strings.TrimSpace(r.PostFormValue("code")), clientIP(r))
	if err != nil {
		v.fieldErrors(err, "code")
		return p.render(w, statusFor(err), "code", v)
	}
	return p.back(w, r, "email_verified")
}

func (p *Pages) emailPrimary(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	idn, err := p.emailOf(cu, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if !idn.Verified {
		return p.accountError(w, r, cu, apperr.New(apperr.KindInvalid, "not_verified", "Verify it first",
			"Verify this email address before making it your primary one."))
	}
	primary := true
	if _, err := p.users.UpdateIdentification(r.Context(), store.TypeEmail, idn.ID, identity.UpdateIdentificationInput{Primary: &primary}); err != nil {
		return p.accountError(w, r, cu, err)
	}
	return p.back(w, r, "primary")
}

func (p *Pages) emailDelete(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	idn, err := p.emailOf(cu, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if err := p.users.DeleteIdentification(r.Context(), store.TypeEmail, idn.ID); err != nil {
		return p.accountError(w, r, cu, err)
	}
	return p.back(w, r, "email_removed")
}

// passwordChange needs the current password when there is one: a borrowed
// unlocked laptop must not be enough to take over the account.
func (p *Pages) passwordChange(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	if cu.user.PasswordDigest != nil {
		if err := p.users.CheckPassword(r.Context(), cu.user.ID, r.PostFormValue("current_password")); err != nil {
			return p.accountError(w, r, cu, relabel(err, "current_password", "Your current password is incorrect."), "current_password")
		}
	}
	np := r.PostFormValue("new_password")
	if _, err := p.users.UpdateUser(r.Context(), cu.user.ID, identity.UpdateUserInput{Password: &np}); err != nil {
		return p.accountError(w, r, cu, relabel(err, "new_password", ""), "new_password")
	}
	return p.back(w, r, "password")
}

// relabel points an error at another form field (the API calls both "password").
func relabel(err error, field, long string) error {
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.KindInternal {
		return err
	}
	c := e.WithParam(field)
	if long != "" {
		c.LongMessage = long
	}
	return c
}

func (p *Pages) sessionRevoke(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	s, err := p.sessions.Get(r.Context(), chi.URLParam(r, "id"), "")
	if err != nil || s.UserID != cu.user.ID {
		return apperr.NotFound()
	}
	if _, err := p.sessions.End(r.Context(), s.ID, "", session.StatusRevoked); err != nil {
		return err
	}
	return p.back(w, r, "revoked")
}

func (p *Pages) deleteAccount(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	if !cu.user.DeleteSelfEnabled || !p.config.Users.DeleteSelfEnabled {
		return apperr.New(apperr.KindForbidden, "delete_self_disabled", "Not allowed", "Accounts cannot be deleted here. Contact the application's support.")
	}
	if r.PostFormValue("confirm") != "yes" {
		return p.accountError(w, r, cu, apperr.New(apperr.KindInvalid, "confirm", "Confirm first", "Tick the box to confirm.").WithParam("confirm"), "confirm")
	}
	if err := p.users.DeleteUser(r.Context(), cu.user.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}

// appRevoke withdraws the consent given to an OAuth application.
func (p *Pages) appRevoke(w http.ResponseWriter, r *http.Request, cu ctxUser) error {
	if err := p.oauth.RevokeAccess(r.Context(), cu.user.ID, chi.URLParam(r, "id")); err != nil {
		return err
	}
	return p.back(w, r, "app_revoked")
}
