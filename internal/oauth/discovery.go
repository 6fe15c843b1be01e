package oauth

import "net/http"

func (p *Provider) buildDiscovery() (oidc, as []byte) {
	iss := p.settings.Issuer
	doc := map[string]any{
		"issuer":                                        iss,
		"authorization_endpoint":                        iss + "/oauth/authorize",
		"token_endpoint":                                iss + "/oauth/token",
		"userinfo_endpoint":                             iss + "/oauth/userinfo",
		"jwks_uri":                                      iss + "/.well-known/jwks.json",
		"introspection_endpoint":                        iss + "/oauth/token_info",
		"revocation_endpoint":                           iss + "/oauth/token/revoke",
		"end_session_endpoint":                          iss + "/oauth/end_session",
		"scopes_supported":                              []string{"openid", "profile", "email", "public_metadata", "private_metadata", "offline_access"},
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query", "form_post"},
		"grant_types_supported":                         []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         []string{"RS256"},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":              []string{"S256"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name",
			"family_name", "preferred_username", "picture", "email", "email_verified", "public_metadata", "private_metadata"},
		"authorization_response_iss_parameter_supported": true,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false, // OIDC Discovery's default is true
		"claims_parameter_supported":                     false,
	}
	if p.settings.DynamicRegistration {
		doc["registration_endpoint"] = iss + "/oauth/register"
	}
	return mustJSON(doc), mustJSON(doc)
}

// Discovery serves /.well-known/openid-configuration from precomputed bytes.
func (p *Provider) Discovery(w http.ResponseWriter, r *http.Request) {
	writeStatic(w, p.discovery)
}

// AuthorizationServerMetadata serves /.well-known/oauth-authorization-server (RFC 8414).
func (p *Provider) AuthorizationServerMetadata(w http.ResponseWriter, r *http.Request) {
	writeStatic(w, p.asMetadata)
}

func writeStatic(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(body)
}
