package session

import (
	"net/http"
	"net/url"
)

// CookieName is the long-lived client cookie shared by the frontend API and
// the hosted pages.
const CookieName = "__client"

// Cookie builds the client cookie: HttpOnly and SameSite=Lax, and Secure
// unless the instance runs on plain http://localhost in development. A
// negative maxAge deletes it.
func Cookie(publicURL string, development bool, token string, maxAge int) *http.Cookie {
	secure := true
	if u, err := url.Parse(publicURL); err == nil && u.Scheme == "http" && development {
		secure = false
	}
	return &http.Cookie{Name: CookieName, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}
