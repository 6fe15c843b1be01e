package oauth

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/latchkey/latchkey/internal/apperr"
)

// Register serves POST /oauth/register (RFC 7591), when enabled. Such
// clients always get the consent screen, and their names are untrusted
// text: control characters are stripped and the length capped.
func (p *Provider) Register(w http.ResponseWriter, r *http.Request) {
	if !p.settings.DynamicRegistration {
		writeJSON(w, http.StatusForbidden, &Error{Code: "access_denied", Description: "Dynamic client registration is disabled."})
		return
	}
	var in struct {
		RedirectURIs            []string `json:"redirect_uris"`
		ClientName              string   `json:"client_name"`
		TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
		Scope                   string   `json:"scope"`
		GrantTypes              []string `json:"grant_types"`
		ResponseTypes           []string `json:"response_types"`
		LogoURI                 string   `json:"logo_uri"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || json.Unmarshal(body, &in) != nil {
		writeJSON(w, http.StatusBadRequest, &Error{Code: "invalid_client_metadata", Description: "The body must be a JSON object."})
		return
	}
	if len(in.RedirectURIs) == 0 {
		writeJSON(w, http.StatusBadRequest, &Error{Code: "invalid_redirect_uri", Description: "redirect_uris is required."})
		return
	}
	for _, u := range in.RedirectURIs {
		if ValidateRedirectURI(u) != nil {
			writeJSON(w, http.StatusBadRequest, &Error{Code: "invalid_redirect_uri", Description: "Redirect URI " + sanitize(u) + " is not acceptable."})
			return
		}
	}
	public := in.TokenEndpointAuthMethod == "none"
	name := sanitize(in.ClientName)
	if name == "" {
		name = "Unnamed application"
	}
	scopes := in.Scope
	if scopes == "" {
		scopes = DefaultAppScopes
	}
	consent, uris := true, in.RedirectURIs
	created, err := p.createApp(r.Context(), AppInput{Name: &name, RedirectURIs: &uris, Scopes: &scopes, Public: &public, ConsentScreenEnabled: &consent}, true)
	if err != nil {
		desc := "The registration could not be stored."
		if e := apperr.As(err); e != nil && e.Kind != apperr.KindInternal {
			desc = e.LongMessage
		}
		writeJSON(w, http.StatusBadRequest, &Error{Code: "invalid_client_metadata", Description: desc})
		return
	}
	out := map[string]any{"client_id": created.App.ClientID, "client_name": name, "redirect_uris": created.App.RedirectURIs,
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"scope": created.App.Scopes, "token_endpoint_auth_method": "client_secret_basic",
		"client_id_issued_at": created.App.CreatedAt.Unix()}
	if public {
		out["token_endpoint_auth_method"] = "none"
	} else {
		out["client_secret"], out["client_secret_expires_at"] = created.Secret, 0
	}
	writeJSON(w, http.StatusCreated, out)
}

// sanitize treats client-supplied text as untrusted: printable only, capped.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		// Cc (controls) and Cf (format: bidi overrides and isolates,
		// zero-width characters) can make a name read as something else.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len([]rune(s)) > 100 {
		s = string([]rune(s)[:100])
	}
	return s
}
