package oauth

import (
	"context"
	"net/url"

	"github.com/latchkey/latchkey/internal/store"
)

// grantClientCredentials issues a token to a machine client for itself.
// With JWT access tokens it writes nothing: the secret check is a SHA-256
// and the token a signature.
func (p *Provider) grantClientCredentials(ctx context.Context, app store.OAuthApp, form url.Values) (*issued, *Error) {
	if app.Public {
		return nil, errUnauthorizedClient("Public clients cannot use client_credentials.")
	}
	var scopes []string
	for _, s := range splitScopes(form.Get("scope")) {
		if s == "openid" || s == "offline_access" || !hasScope(app.Scopes, s) {
			return nil, errInvalidScope("The scope " + s + " cannot be granted to a client for itself.")
		}
		scopes = append(scopes, s)
	}
	scope := joinScopes(scopes)
	tok, err := p.accessToken(ctx, app, app.ClientID, scope, "", p.now())
	if err != nil {
		return nil, errServer(ctx, err)
	}
	return &issued{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(p.settings.AccessTokenTTL.Seconds()), Scope: scope}, nil
}
