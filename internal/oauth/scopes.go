package oauth

import (
	"sort"
	"strings"
)

// The scopes Latchkey understands, as the seed documents them.
var knownScopes = map[string]string{
	"openid":           "Sign you in (an ID token)",
	"profile":          "Your name, username and picture",
	"email":            "Your email address",
	"public_metadata":  "Your public profile data",
	"private_metadata": "Private data the application keeps about you",
	"offline_access":   "Stay signed in (a refresh token)",
}

// DefaultAppScopes are given to an application created without a list.
const DefaultAppScopes = "openid profile email"

func splitScopes(s string) []string { return strings.Fields(s) }

// joinScopes normalises a scope list: unique, sorted, space-separated.
func joinScopes(list []string) string {
	seen := map[string]bool{}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func hasScope(scopes, want string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == want {
			return true
		}
	}
	return false
}

// subset reports whether every scope of a is in b.
func subset(a, b string) bool {
	for _, s := range strings.Fields(a) {
		if !hasScope(b, s) {
			return false
		}
	}
	return true
}

// validScope reports whether s is a scope the provider understands.
func validScope(s string) bool { _, ok := knownScopes[s]; return ok }

// ScopeDescription is how the consent page explains a scope.
func ScopeDescription(s string) string {
	if d, ok := knownScopes[s]; ok {
		return d
	}
	return s
}
