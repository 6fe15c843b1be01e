package bapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/store"
)

type oauthAppJSON struct {
	Object                string   `json:"object"`
	ID                    string   `json:"id"`
	InstanceID            string   `json:"instance_id"`
	Name                  string   `json:"name"`
	ClientID              string   `json:"client_id"`
	Public                bool     `json:"public"`
	DynamicallyRegistered bool     `json:"dynamically_registered"`
	ConsentScreenEnabled  bool     `json:"consent_screen_enabled"`
	PKCERequired          bool     `json:"pkce_required"`
	Scopes                string   `json:"scopes"`
	CallbackURL           string   `json:"callback_url"`
	RedirectURIs          []string `json:"redirect_uris"`
	PostLogoutURIs        []string `json:"post_logout_redirect_uris"`
	DiscoveryURL          string   `json:"discovery_url"`
	AuthorizeURL          string   `json:"authorize_url"`
	TokenFetchURL         string   `json:"token_fetch_url"`
	UserInfoURL           string   `json:"user_info_url"`
	TokenIntrospectionURL string   `json:"token_introspection_url"`
	CreatedAt             int64    `json:"created_at"`
	UpdatedAt             int64    `json:"updated_at"`
	ClientSecret          *string  `json:"client_secret,omitempty"`
}

func (a *API) oauthAppOf(app store.OAuthApp, secret string) oauthAppJSON {
	iss := a.OAuth.Settings().Issuer
	out := oauthAppJSON{Object: "oauth_application", ID: app.ID, InstanceID: "ins_latchkey", Name: app.Name,
		ClientID: app.ClientID, Public: app.Public, DynamicallyRegistered: app.DynamicallyRegistered,
		ConsentScreenEnabled: app.ConsentScreenEnabled, PKCERequired: app.PKCERequired, Scopes: app.Scopes,
		RedirectURIs: app.RedirectURIs, PostLogoutURIs: app.PostLogoutRedirectURIs, DiscoveryURL: iss + "/.well-known/openid-configuration",
		AuthorizeURL: iss + "/oauth/authorize", TokenFetchURL: iss + "/oauth/token", UserInfoURL: iss + "/oauth/userinfo",
		TokenIntrospectionURL: iss + "/oauth/token_info", CreatedAt: present.Ms(app.CreatedAt), UpdatedAt: present.Ms(app.UpdatedAt)}
	if len(app.RedirectURIs) > 0 {
		out.CallbackURL = app.RedirectURIs[0]
	}
	if out.RedirectURIs == nil {
		out.RedirectURIs = []string{}
	}
	if secret != "" {
		out.ClientSecret = &secret
	}
	return out
}

func (a *API) oauthRoutes(r chi.Router) {
	h := httpx.Adapt
	r.Get("/oauth_applications", h(a.listOAuthApps))
	r.Post("/oauth_applications", h(a.createOAuthApp))
	r.Post("/oauth_applications/access_tokens/verify", h(a.verifyOAuthAccessToken))
	r.Get("/oauth_applications/{id}", h(a.getOAuthApp))
	r.Patch("/oauth_applications/{id}", h(a.updateOAuthApp))
	r.Delete("/oauth_applications/{id}", h(a.deleteOAuthApp))
	r.Post("/oauth_applications/{id}/rotate_secret", h(a.rotateOAuthSecret))
	r.Post("/oauth_applications/{id}/revoke_token", h(a.revokeOAuthToken))
}

func (a *API) listOAuthApps(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	offset, err := intParam(q, "offset", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	apps, total, err := a.OAuth.ListApps(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]oauthAppJSON, 0, len(apps))
	for _, app := range apps {
		out = append(out, a.oauthAppOf(app, ""))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": out, "total_count": total})
}

func (a *API) createOAuthApp(w http.ResponseWriter, r *http.Request) error {
	var in oauth.AppInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	created, err := a.OAuth.CreateApp(r.Context(), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.oauthAppOf(created.App, created.Secret))
}

func (a *API) getOAuthApp(w http.ResponseWriter, r *http.Request) error {
	app, err := a.OAuth.GetApp(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.oauthAppOf(app, ""))
}

func (a *API) updateOAuthApp(w http.ResponseWriter, r *http.Request) error {
	var in oauth.AppInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	app, err := a.OAuth.UpdateApp(r.Context(), chi.URLParam(r, "id"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.oauthAppOf(app, ""))
}

func (a *API) deleteOAuthApp(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	if err := a.OAuth.DeleteApp(r.Context(), id); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, present.DeletedOf("oauth_application", id))
}

func (a *API) rotateOAuthSecret(w http.ResponseWriter, r *http.Request) error {
	rotated, err := a.OAuth.RotateSecret(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a.oauthAppOf(rotated.App, rotated.Secret))
}

func (a *API) revokeOAuthToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Token) == "" {
		return apperr.ParamMissing("token")
	}
	if err := a.OAuth.RevokeForApp(r.Context(), chi.URLParam(r, "id"), in.Token); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"object": "oauth_token_revocation", "revoked": true})
}

func (a *API) verifyOAuthAccessToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AccessToken string `json:"access_token"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.AccessToken) == "" {
		return apperr.ParamMissing("access_token")
	}
	info, ok, err := a.OAuth.VerifyAccessTokenForBackend(r.Context(), in.AccessToken)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.KindNotFound, "oauth_access_token_invalid", "Invalid access token",
			"The access token is invalid, expired or revoked.")
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"object": "clerk_idp_oauth_access_token", "id": info.ID, "client_id": info.ClientID, "subject": info.Subject,
		"scopes": strings.Fields(info.Scope), "revoked": false, "expired": false,
		"expiration": info.ExpiresAt.UnixMilli(), "created_at": info.IssuedAt.UnixMilli(), "updated_at": info.IssuedAt.UnixMilli()})
}
