package redirecturls

import (
	"net"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
)

// maxURLLength bounds what may be stored and compared.
const maxURLLength = 2048

// forbiddenSchemes can run code or carry content instead of naming a place
// to return to, so they are never a redirect target.
var forbiddenSchemes = map[string]bool{
	"javascript": true, "data": true, "vbscript": true, "file": true, "blob": true, "about": true,
	"filesystem": true, "view-source": true,
}

// Validate checks a redirect URL for the allowlist: an absolute URL with
// https (http only for loopback hosts, for local development) or a custom
// scheme of a native app (myapp://callback, com.example.app:/oauth2redirect),
// never a scheme that runs code, never a fragment (RFC 6749 §3.1.2), and no
// credentials or stray whitespace. The URL is kept exactly as given, since
// matches against the allowlist are exact.
func Validate(raw string) error {
	invalid := func(long string) error { return apperr.ParamInvalid("url", long) }
	if raw == "" {
		return apperr.ParamMissing("url")
	}
	if len(raw) > maxURLLength {
		return invalid("url must be at most 2048 characters long.")
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			return invalid("url must not contain spaces or control characters.")
		}
	}
	if strings.Contains(raw, "#") {
		return invalid("url must not contain a fragment (#...): the authorization response is appended to it.")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return invalid("url must be an absolute URL with a scheme, such as https://app.example.com/oauth-callback or myapp://oauth-callback.")
	}
	scheme := strings.ToLower(u.Scheme)
	if forbiddenSchemes[scheme] {
		return invalid("url must not use the " + scheme + ": scheme; use https or your app's own scheme.")
	}
	if u.User != nil {
		return invalid("url must not contain credentials (user:password@).")
	}
	switch scheme {
	case "https", "http":
		if u.Host == "" || u.Hostname() == "" {
			return invalid("url must name a host, such as https://app.example.com/oauth-callback.")
		}
		if scheme == "http" && !loopback(u.Hostname()) {
			return invalid("url must use https; plain http is accepted only for localhost and loopback addresses.")
		}
	default:
		// A native app's scheme: something must follow it (myapp:// alone
		// names nothing an app can route).
		if u.Opaque == "" && u.Host == "" && strings.Trim(u.Path, "/") == "" {
			return invalid("url must name a destination after the scheme, such as " + u.Scheme + "://oauth-callback.")
		}
	}
	return nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
