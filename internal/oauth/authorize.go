package oauth

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// CurrentSession is the browser's active session, if any.
func (p *Provider) CurrentSession(r *http.Request) (store.Session, bool) {
	c, err := r.Cookie(session.CookieName)
	if err != nil {
		return store.Session{}, false
	}
	return p.sessions.ActiveSession(r.Context(), c.Value)
}

// Authorize serves GET and POST /oauth/authorize.
func (p *Provider) Authorize(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return fatal("The request could not be read.")
	}
	params := r.Form
	req, rerr, err := p.ParseAuthorize(r.Context(), params)
	if err != nil {
		return err
	}
	if rerr != nil {
		return p.RespondError(w, req, rerr)
	}
	sess, ok := p.CurrentSession(r)
	now := p.now()
	reauth := ok && needsReauth(req, sess, now)
	if !ok || reauth {
		if req.Prompt["none"] {
			return p.RespondError(w, req, &Error{"login_required", "The user is not signed in.", 400})
		}
		return p.sendToSignIn(w, r, params, reauth, now)
	}
	if p.needsConsent(r.Context(), req, sess.UserID) {
		if req.Prompt["none"] {
			return p.RespondError(w, req, &Error{"consent_required", "The user has not consented to this application.", 400})
		}
		http.Redirect(w, r, p.settings.Issuer+"/oauth/consent?"+params.Encode(), http.StatusSeeOther)
		return nil
	}
	return p.IssueCode(r.Context(), w, req, sess)
}

// reauthMarkerTTL bounds how long the _lk_auth_after marker of a request
// sent to sign in again is honoured. The marker is part of a URL anyone can
// edit, so it only ever asks for a sign-in newer than itself; an old or
// far-future marker is ignored and prompt=login and max_age apply as sent.
const reauthMarkerTTL = 15 * time.Minute

// needsReauth applies prompt=login and max_age. A request that already sent
// the person to sign in again carries _lk_auth_after (the time it did): a
// session whose first factor was verified since then satisfies both, so the
// request does not loop; an older session, even one that was active when
// the person left, does not.
func needsReauth(req *AuthRequest, s store.Session, now time.Time) bool {
	if m := req.AuthAfter; !m.IsZero() && !m.Before(now.Add(-reauthMarkerTTL)) && !m.After(now.Add(time.Minute)) {
		return s.FirstFactorVerifiedAt.Before(m)
	}
	if req.Prompt["login"] {
		return true
	}
	return req.MaxAge != nil && now.Sub(s.FirstFactorVerifiedAt) > time.Duration(*req.MaxAge)*time.Second
}

// NeedsReauth reports whether sess is too old for req (prompt=login,
// max_age), for the consent page, which issues codes too.
func (p *Provider) NeedsReauth(req *AuthRequest, sess store.Session) bool {
	return needsReauth(req, sess, p.now())
}

// sendToSignIn sends the person through the hosted sign-in and back here.
func (p *Provider) sendToSignIn(w http.ResponseWriter, r *http.Request, params url.Values, reauth bool, now time.Time) error {
	back := url.Values{}
	for k, v := range params {
		back[k] = v
	}
	target := p.settings.Issuer + "/sign-in?"
	if reauth {
		// prompt and max_age stay: the marker is what lets the next pass
		// through accept the new sign-in, and only a new sign-in.
		back.Set("_lk_auth_after", strconv.FormatInt(now.Unix(), 10))
		target += "reauth=1&"
	}
	if hint := params.Get("login_hint"); hint != "" {
		target += "identifier=" + url.QueryEscape(hint) + "&"
	}
	target += "redirect_url=" + url.QueryEscape(p.settings.Issuer+"/oauth/authorize?"+back.Encode())
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// needsConsent reports whether the consent page must be shown.
func (p *Provider) needsConsent(ctx context.Context, req *AuthRequest, userID string) bool {
	if !req.App.ConsentScreenEnabled {
		return false
	}
	if req.Prompt["consent"] {
		return true
	}
	granted, err := p.store.Consent(ctx, userID, req.App.ID)
	return err != nil || granted == "" || !subset(req.Scopes, granted)
}

// Consent records consent and answers the request with a code. A session
// too old for the request's prompt=login or max_age is sent back through
// /oauth/authorize (and so to sign in) first: the consent form is as
// editable as any URL.
func (p *Provider) Consent(ctx context.Context, w http.ResponseWriter, req *AuthRequest, sess store.Session) error {
	if p.NeedsReauth(req, sess) {
		w.Header().Set("Location", p.settings.Issuer+"/oauth/authorize?"+req.Params.Encode())
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	if err := p.store.SaveConsent(ctx, sess.UserID, req.App.ID, req.Scopes, p.now()); err != nil {
		return apperr.Internal(err, "save consent")
	}
	return p.IssueCode(ctx, w, req, sess)
}

// IssueCode stores a code and sends it to the client: the one write of the
// authorization step.
func (p *Provider) IssueCode(ctx context.Context, w http.ResponseWriter, req *AuthRequest, sess store.Session) error {
	code := randomToken()
	now := p.now()
	// The code remembers redirect_uri only when the request carried it: the
	// token request must then repeat it, and otherwise need not (RFC 6749 §4.1.3).
	redirect := ""
	if req.RedirectGiven {
		redirect = req.RedirectURI
	}
	c := store.OAuthCode{CodeHash: hashToken(code), ApplicationID: req.App.ID, UserID: sess.UserID, SessionID: &sess.ID,
		RedirectURI: redirect, Scopes: req.Scopes, AuthTime: sess.FirstFactorVerifiedAt, ExpiresAt: now.Add(p.settings.CodeTTL)}
	if req.Nonce != "" {
		c.Nonce = &req.Nonce
	}
	if req.CodeChallenge != "" {
		c.CodeChallenge = &req.CodeChallenge
	}
	if err := p.store.InsertOAuthCode(ctx, c); err != nil {
		return apperr.Internal(err, "store code")
	}
	return p.respond(w, req, url.Values{"code": {code}})
}

// RespondError sends an error to the client's redirect URI.
func (p *Provider) RespondError(w http.ResponseWriter, req *AuthRequest, e *Error) error {
	v := url.Values{"error": {e.Code}}
	if e.Description != "" {
		v.Set("error_description", e.Description)
	}
	return p.respond(w, req, v)
}

// respond delivers parameters to the redirect URI by query or form_post,
// always with state and iss (RFC 9207, against mix-up attacks).
func (p *Provider) respond(w http.ResponseWriter, req *AuthRequest, v url.Values) error {
	if req.State != "" {
		v.Set("state", req.State)
	}
	v.Set("iss", p.settings.Issuer)
	w.Header().Set("Cache-Control", "no-store")
	if req.ResponseMode == "form_post" {
		return formPost(w, req.RedirectURI, v)
	}
	u, _ := url.Parse(req.RedirectURI)
	q := u.Query()
	for k, vals := range v {
		q[k] = vals
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusSeeOther)
	return nil
}

var formPostPage = template.Must(template.New("fp").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Continuing…</title></head>
<body><form method="post" action="{{.Action}}">{{range $k, $vs := .Values}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<noscript><button type="submit">Continue</button></noscript></form>
<script nonce="{{.Nonce}}">document.forms[0].submit()</script></body></html>`))

func formPost(w http.ResponseWriter, action string, v url.Values) error {
	nonce := randomToken()[:22]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action "+originOf(action)+"; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	return formPostPage.Execute(w, map[string]any{"Action": action, "Values": v, "Nonce": nonce})
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "'none'"
	}
	return u.Scheme + "://" + u.Host
}

// ErrorPage renders a fatal authorization error for the person.
func ErrorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.KindInternal {
		httpx.Logger(r.Context()).Error("authorize failed", "err", err)
		e = apperr.New(apperr.KindInternal, "server_error", "Something went wrong", "Please try again in a moment.")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(httpx.StatusOf(e.Kind))
	_ = errorPage.Execute(w, e)
}

var errorPage = template.Must(template.New("err").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Message}}</title><link rel="stylesheet" href="/static/latchkey.css"></head>
<body><main><h1>{{.Message}}</h1><p class="lead">{{.LongMessage}}</p></main></body></html>`))
