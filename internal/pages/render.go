package pages

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/httpx"
)

// view is what every template receives.
type view struct {
	Title       string
	Brand       config.Branding
	CSRF        string
	RedirectURL string // validated, carried through the flow
	Query       string // "?redirect_url=..." for links between pages
	Notice      string
	Error       string            // a message for the whole form
	Errors      map[string]string // messages next to fields
	Values      map[string]string // values to refill
	Refresh     int               // seconds, for pages that wait on something
	Wide        bool
	Data        any
	Social      []socialButton // "Continue with <provider>" on the sign-in and sign-up pages
}

// newView starts a view for the request: branding, the CSRF token of the
// browser's client and the validated redirect URL.
func (p *Pages) newView(w http.ResponseWriter, r *http.Request, title string) (*view, error) {
	c, err := p.ensureClient(w, r)
	if err != nil {
		return nil, err
	}
	redirect, err := p.redirectURL(r)
	if err != nil {
		return nil, err
	}
	v := &view{Title: title, Brand: p.config.Branding, CSRF: p.csrfToken(c.ID), RedirectURL: redirect,
		Errors: map[string]string{}, Values: map[string]string{}, Social: p.signInButtons()}
	if redirect != "" {
		v.Query = "?redirect_url=" + url.QueryEscape(redirect)
	}
	return v, nil
}

// render writes a page. A rendering failure becomes a 500 before any byte
// is sent, never half a page.
func (p *Pages) render(w http.ResponseWriter, status int, name string, v *view) error {
	t, ok := p.tmpl[name]
	if !ok {
		return apperr.Internal(nil, "no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return apperr.Internal(err, "render %s", name)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// fieldErrors puts an API error next to its field, or above the form.
func (v *view) fieldErrors(err error, fields ...string) {
	e := apperr.As(err)
	if e == nil {
		v.Error = "Something went wrong. Please try again."
		return
	}
	for _, f := range fields {
		if e.Param == f {
			v.Errors[f] = e.LongMessage
			return
		}
	}
	v.Error = e.LongMessage
}

// statusFor is the HTTP status of a page re-rendered after err.
func statusFor(err error) int {
	if e := apperr.As(err); e != nil {
		return httpx.StatusOf(e.Kind)
	}
	return http.StatusInternalServerError
}

// adapt renders failures as a page rather than JSON: a person is reading.
func (p *Pages) adapt(h httpx.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p.ErrorPage(w, r, err)
		}
	}
}

// ErrorPage shows err to a person, with a way back to sign in. Internal
// errors are logged and shown without detail.
func (p *Pages) ErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.KindInternal {
		httpx.Logger(r.Context()).Error("page failed", "path", r.URL.Path, "err", err)
		e = apperr.New(apperr.KindInternal, "internal", "Something went wrong", "Something went wrong on our side. Please try again in a moment.")
	}
	v := &view{Title: e.Message, Brand: p.config.Branding, Errors: map[string]string{}, Values: map[string]string{},
		Data: message{Heading: e.Message, Body: e.LongMessage, Link: "/sign-in", LinkText: "Back to sign in"}}
	if err := p.render(w, httpx.StatusOf(e.Kind), "message", v); err != nil {
		http.Error(w, e.LongMessage, httpx.StatusOf(e.Kind))
	}
}

type message struct {
	Heading, Body, Link, LinkText string
}

// done sends the person on after signing in: to the app that sent them, or
// to their account page.
func (p *Pages) done(w http.ResponseWriter, r *http.Request, redirect string) error {
	if redirect == "" {
		redirect = p.config.PublicURL + "/user"
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
	return nil
}

// to redirects to a page of the flow, keeping the redirect URL.
func (p *Pages) to(w http.ResponseWriter, r *http.Request, path, redirect string) error {
	if redirect != "" {
		path += "?redirect_url=" + url.QueryEscape(redirect)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// redirectURL validates ?redirect_url= (or the form field): absolute on a
// trusted origin, or a path on this site. Anything else is refused with a
// page; it is never followed.
func (p *Pages) redirectURL(r *http.Request) (string, error) {
	raw := r.URL.Query().Get("redirect_url")
	if r.Method == http.MethodPost {
		if v := r.PostFormValue("redirect_url"); v != "" {
			raw = v
		}
	}
	if raw == "" {
		return "", nil
	}
	if len(raw) > 2048 {
		return "", errRedirect()
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errRedirect()
	}
	if !u.IsAbs() && u.Host == "" && len(raw) > 0 && raw[0] == '/' && (len(raw) == 1 || raw[1] != '/' && raw[1] != '\\') {
		return p.config.PublicURL + u.RequestURI(), nil
	}
	if !p.origins.AllowedRedirect(raw) {
		return "", errRedirect()
	}
	return u.String(), nil
}

func errRedirect() error {
	return apperr.New(apperr.KindBadRequest, "redirect_url_invalid", "This link can't be used",
		"The address you would be sent to after signing in is not one this application allows. Go back to the application and try again.")
}
