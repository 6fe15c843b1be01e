package oauth

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// AppInput is the body of POST/PATCH /v1/oauth_applications (Clerk's fields;
// callback_url is the older single-URI form of redirect_uris).
type AppInput struct {
	Name                 *string   `json:"name"`
	CallbackURL          *string   `json:"callback_url"`
	RedirectURIs         *[]string `json:"redirect_uris"`
	PostLogoutURIs       *[]string `json:"post_logout_redirect_uris"`
	Scopes               *string   `json:"scopes"`
	Public               *bool     `json:"public"`
	ConsentScreenEnabled *bool     `json:"consent_screen_enabled"`
	PKCERequired         *bool     `json:"pkce_required"`
}

// AppWithSecret is an application and, on create and rotate only, its secret.
type AppWithSecret struct {
	App    store.OAuthApp
	Secret string
}

func translate(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound()
	}
	if err != nil && apperr.As(err) == nil {
		return apperr.Internal(err, "oauth")
	}
	return err
}

// ValidateRedirectURI accepts absolute URIs without fragments; http only for
// loopback hosts; custom schemes (myapp://cb) for native apps; never
// javascript:, data: or other script-bearing schemes.
func ValidateRedirectURI(raw string) error {
	bad := apperr.ParamInvalid("redirect_uris", "Each redirect URI must be an absolute URL without a fragment, using https (http only for localhost) or an app's own scheme.")
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n") {
		return bad
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(raw, "#") {
		return bad
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return bad
		}
	case "http":
		h := u.Hostname()
		if h != "localhost" && h != "127.0.0.1" && h != "::1" {
			return bad
		}
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return bad
	default:
		if !strings.Contains(u.Scheme, ".") && len(u.Scheme) < 3 {
			return bad // custom schemes should be reverse-DNS or at least distinctive
		}
	}
	return nil
}

func (p *Provider) applyApp(a *store.OAuthApp, in AppInput, creating bool) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len(n) > 256 {
			return apperr.ParamInvalid("name", "name must be 1 to 256 characters.")
		}
		a.Name = n
	} else if creating {
		return apperr.ParamMissing("name")
	}
	var uris []string
	switch {
	case in.RedirectURIs != nil:
		uris = *in.RedirectURIs
	case in.CallbackURL != nil && *in.CallbackURL != "":
		uris = []string{*in.CallbackURL}
	case in.CallbackURL != nil && !creating:
		uris = []string{}
	}
	if uris != nil {
		if len(uris) > 20 {
			return apperr.ParamValueInvalid("redirect_uris", "At most 20 redirect URIs.")
		}
		for _, u := range uris {
			if err := ValidateRedirectURI(u); err != nil {
				return err
			}
		}
		a.RedirectURIs = uris
	}
	if in.PostLogoutURIs != nil {
		if len(*in.PostLogoutURIs) > 20 {
			return apperr.ParamValueInvalid("post_logout_redirect_uris", "At most 20 post-logout redirect URIs.")
		}
		for _, u := range *in.PostLogoutURIs {
			if err := ValidateRedirectURI(u); err != nil {
				return apperr.ParamInvalid("post_logout_redirect_uris", "Each post-logout redirect URI must be an absolute URL without a fragment, using https (http only for localhost) or an app's own scheme.")
			}
		}
		a.PostLogoutRedirectURIs = *in.PostLogoutURIs
	}
	if in.Scopes != nil {
		list := splitScopes(*in.Scopes)
		for _, s := range list {
			if !validScope(s) {
				return apperr.ParamValueInvalid("scopes", "Unknown scope "+s+".")
			}
		}
		a.Scopes = joinScopes(list)
	}
	if in.Public != nil {
		if !creating && *in.Public != a.Public {
			return apperr.ParamValueInvalid("public", "public cannot be changed after creation.")
		}
		a.Public = *in.Public
	}
	if in.ConsentScreenEnabled != nil {
		a.ConsentScreenEnabled = *in.ConsentScreenEnabled
	}
	if in.PKCERequired != nil {
		a.PKCERequired = *in.PKCERequired
	}
	if a.Public {
		a.PKCERequired = true // a public client has no secret: PKCE is its only proof
	}
	return nil
}

// CreateApp registers an application; the secret is returned once.
func (p *Provider) CreateApp(ctx context.Context, in AppInput) (AppWithSecret, error) {
	return p.createApp(ctx, in, false)
}

func (p *Provider) createApp(ctx context.Context, in AppInput, dynamic bool) (AppWithSecret, error) {
	now := p.now()
	a := store.OAuthApp{ID: ids.New(ids.OAuthApp), ClientID: randomClientID(), Scopes: DefaultAppScopes,
		ConsentScreenEnabled: true, RedirectURIs: []string{}, PostLogoutRedirectURIs: []string{},
		DynamicallyRegistered: dynamic, CreatedAt: now, UpdatedAt: now}
	if err := p.applyApp(&a, in, true); err != nil {
		return AppWithSecret{}, err
	}
	out := AppWithSecret{App: a}
	if !a.Public {
		out.Secret = randomToken()
		a.ClientSecretHash = hashToken(out.Secret)
		out.App = a
	}
	return out, translate(p.store.InsertOAuthApp(ctx, a))
}

func randomClientID() string { return strings.ReplaceAll(randomToken()[:24], "-", "x") }

// UpdateApp changes an application.
func (p *Provider) UpdateApp(ctx context.Context, id string, in AppInput) (store.OAuthApp, error) {
	a, err := p.store.UpdateOAuthApp(ctx, id, func(a *store.OAuthApp) error {
		a.UpdatedAt = p.now()
		return p.applyApp(a, in, false)
	})
	p.apps.evict(a.ClientID) // here at once; other replicas on the NOTIFY
	return a, translate(err)
}

// RotateSecret replaces an application's secret; the old one stops working at once.
func (p *Provider) RotateSecret(ctx context.Context, id string) (AppWithSecret, error) {
	secret := randomToken()
	a, err := p.store.UpdateOAuthApp(ctx, id, func(a *store.OAuthApp) error {
		if a.Public {
			return apperr.New(apperr.KindInvalid, "oauth_public_client", "Public clients have no secret",
				"This application is public (PKCE only) and has no secret to rotate.")
		}
		a.ClientSecretHash, a.UpdatedAt = hashToken(secret), p.now()
		return nil
	})
	p.apps.evict(a.ClientID)
	return AppWithSecret{App: a, Secret: secret}, translate(err)
}

// GetApp loads an application.
func (p *Provider) GetApp(ctx context.Context, id string) (store.OAuthApp, error) {
	a, err := p.store.GetOAuthApp(ctx, id)
	return a, translate(err)
}

// ListApps lists applications.
func (p *Provider) ListApps(ctx context.Context, limit, offset int) ([]store.OAuthApp, int64, error) {
	apps, n, err := p.store.ListOAuthApps(ctx, limit, offset)
	return apps, n, translate(err)
}

// DeleteApp removes an application and everything it was granted.
func (p *Provider) DeleteApp(ctx context.Context, id string) error {
	err := p.store.DeleteOAuthApp(ctx, id)
	p.apps.evictAll()
	return translate(err)
}

// ConnectedApps lists the applications a user has consented to, for the
// account page.
func (p *Provider) ConnectedApps(ctx context.Context, userID string) ([]store.ConnectedApp, error) {
	apps, err := p.store.ConnectedApps(ctx, userID)
	return apps, translate(err)
}

// RevokeAccess withdraws a user's consent to an application and revokes the
// tokens it holds for them; the next authorization asks again.
func (p *Provider) RevokeAccess(ctx context.Context, userID, appID string) error {
	return translate(p.store.RevokeConsent(ctx, userID, appID, p.now()))
}
