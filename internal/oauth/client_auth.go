package oauth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/store"
)

// authenticateClient identifies the calling client from HTTP Basic
// (client_secret_basic), the form (client_secret_post), or a bare client_id
// for public clients (none). Using two methods at once is refused.
func (p *Provider) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (store.OAuthApp, *Error) {
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if hasBasic {
		// RFC 6749 §2.3.1: the credentials are form-urlencoded inside Basic.
		if id, err := url.QueryUnescape(basicID); err == nil {
			basicID = id
		}
		if s, err := url.QueryUnescape(basicSecret); err == nil {
			basicSecret = s
		}
	}
	postID, postSecret := form.Get("client_id"), form.Get("client_secret")
	switch {
	case hasBasic && postSecret != "":
		return store.OAuthApp{}, errInvalidRequest("Use one client authentication method, not two.")
	case hasBasic && postID != "" && postID != basicID:
		return store.OAuthApp{}, errInvalidRequest("client_id does not match the authenticated client.")
	}
	id, secret := postID, postSecret
	if hasBasic {
		id, secret = basicID, basicSecret
	}
	if id == "" {
		return store.OAuthApp{}, errInvalidClient("Client authentication is required.")
	}
	app, err := p.store.OAuthAppByClientID(ctx, id)
	if err != nil {
		hashToken(secret) // same work as a real check
		return store.OAuthApp{}, errInvalidClient("Client authentication failed.")
	}
	if app.Public {
		if secret != "" {
			return store.OAuthApp{}, errInvalidClient("Public clients have no secret.")
		}
		return app, nil
	}
	if secret == "" || subtle.ConstantTimeCompare(hashToken(secret), app.ClientSecretHash) != 1 {
		return store.OAuthApp{}, errInvalidClient("Client authentication failed.")
	}
	return app, nil
}
