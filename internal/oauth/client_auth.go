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
	id, secret, e := clientCredentials(r, form)
	if e != nil {
		return store.OAuthApp{}, e
	}
	app, err := p.appByClientID(ctx, id)
	return checkClient(app, err, secret)
}

// clientCredentials reads the client id and secret from Basic or the form.
func clientCredentials(r *http.Request, form url.Values) (id, secret string, e *Error) {
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if hasBasic {
		// RFC 6749 §2.3.1: the credentials are form-urlencoded inside Basic.
		if v, err := url.QueryUnescape(basicID); err == nil {
			basicID = v
		}
		if v, err := url.QueryUnescape(basicSecret); err == nil {
			basicSecret = v
		}
	}
	postID, postSecret := form.Get("client_id"), form.Get("client_secret")
	switch {
	case hasBasic && postSecret != "":
		return "", "", errInvalidRequest("Use one client authentication method, not two.")
	case hasBasic && postID != "" && postID != basicID:
		return "", "", errInvalidRequest("client_id does not match the authenticated client.")
	}
	id, secret = postID, postSecret
	if hasBasic {
		id, secret = basicID, basicSecret
	}
	if id == "" {
		return "", "", errInvalidClient("Client authentication is required.")
	}
	return id, secret, nil
}

// checkClient checks a secret against the looked-up application (lookupErr
// is the lookup's error); the same work is done when there is no such app.
func checkClient(app store.OAuthApp, lookupErr error, secret string) (store.OAuthApp, *Error) {
	if lookupErr != nil {
		hashToken(secret)
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
