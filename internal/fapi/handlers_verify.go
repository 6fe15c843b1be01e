package fapi

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/signin"
)

// verifyEmailLink is where emailed links land (GET /v1/verify?token=...).
// It verifies the token for this browser's client and then either sends the
// person on to the app (with __clerk_status as Clerk does) or, without a
// redirect, shows a short page saying what happened.
func (a *API) verifyEmailLink(w http.ResponseWriter, r *http.Request) error {
	clientID, msg := "", ""
	if st := stateOf(r); st.client != nil {
		clientID = st.client.ID
	}
	res, err := a.Engine.VerifyLink(r.Context(), clientID, r.URL.Query().Get("token"))
	if err != nil {
		// The link was good but its sign-in cannot complete (already signed
		// in, locked, banned): nothing was changed. A person followed a link
		// from an email, so they get a page, not a JSON error.
		e := apperr.As(err)
		if e == nil || e.Kind == apperr.KindInternal {
			return err
		}
		res = signin.LinkResult{Status: "failed", ErrorCode: e.Code}
		msg = e.Message
	}
	if res.RedirectURL != "" && a.Origins.AllowedRedirect(res.RedirectURL) && res.Status == "verified" {
		u, _ := url.Parse(res.RedirectURL)
		q := u.Query()
		q.Set("__clerk_status", "verified")
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return nil
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	status := http.StatusOK
	if res.Status != "verified" {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	return linkPage.Execute(w, linkPageData{App: a.Config.Branding.ApplicationName, Result: res, Message: msg})
}

type linkPageData struct {
	App     string
	Result  signin.LinkResult
	Message string // why a valid link could not sign the person in
}

var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.App}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#111}h1{font-size:1.4rem}</style>
</head><body>
{{if eq .Result.Status "verified"}}<h1>You're verified</h1><p>Return to the tab where you started; it continues by itself.</p>
{{else if eq .Result.ErrorCode "client_mismatch"}}<h1>Open the link on the same device</h1><p>For your security, this link only works in the browser where you asked for it. Go back to that browser and request a new link.</p>
{{else if or (eq .Result.ErrorCode "session_exists") (eq .Result.ErrorCode "identifier_already_signed_in")}}<h1>You're already signed in</h1><p>This browser is already signed in to {{.App}}. Sign out there first if you want to use this link.</p>
{{else if .Message}}<h1>You could not be signed in</h1><p>{{.Message}}</p>
{{else if eq .Result.Status "expired"}}<h1>This link has expired</h1><p>Request a new link from {{.App}}.</p>
{{else}}<h1>This link is no longer valid</h1><p>It may have been used already. Request a new link from {{.App}}.</p>{{end}}
</body></html>`))
