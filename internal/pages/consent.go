package pages

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/present"
)

type consentData struct {
	App, Identifier string
	Scopes          []string
	Unverified      bool
	Params          url.Values
}

// authRequest re-validates the authorization request carried through the
// consent page: nothing on the page is trusted.
func (p *Pages) authRequest(w http.ResponseWriter, r *http.Request, params url.Values) (*oauth.AuthRequest, bool, error) {
	req, rerr, err := p.oauth.ParseAuthorize(r.Context(), params)
	if err != nil {
		return nil, false, err
	}
	if rerr != nil {
		return nil, false, p.oauth.RespondError(w, req, rerr)
	}
	return req, true, nil
}

func authParams(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		if k != "csrf_token" && k != "decision" && k != "redirect_url" {
			out[k] = vals
		}
	}
	return out
}

// consentPage names the application and what it asks for.
func (p *Pages) consentPage(w http.ResponseWriter, r *http.Request) error {
	params := authParams(r.URL.Query())
	req, ok, err := p.authRequest(w, r, params)
	if !ok || err != nil {
		return err
	}
	cu, signed, err := p.currentUser(r)
	if err != nil {
		return err
	}
	if !signed {
		return p.to(w, r, "/sign-in", p.config.PublicURL+"/oauth/authorize?"+params.Encode())
	}
	v, err := p.newView(w, r, "Allow access")
	if err != nil {
		return err
	}
	d := consentData{App: req.App.Name, Identifier: present.PrimaryIdentifier(cu.user), Unverified: req.App.DynamicallyRegistered, Params: params}
	for _, s := range strings.Fields(req.Scopes) {
		d.Scopes = append(d.Scopes, oauth.ScopeDescription(s))
	}
	v.Data = d
	return p.render(w, http.StatusOK, "consent", v)
}

// consentSubmit records the decision and answers the application.
func (p *Pages) consentSubmit(w http.ResponseWriter, r *http.Request) error {
	params := authParams(r.PostForm)
	req, ok, err := p.authRequest(w, r, params)
	if !ok || err != nil {
		return err
	}
	cu, signed, err := p.currentUser(r)
	if err != nil {
		return err
	}
	if !signed {
		return p.to(w, r, "/sign-in", p.config.PublicURL+"/oauth/authorize?"+params.Encode())
	}
	if r.PostFormValue("decision") != "allow" {
		return p.oauth.RespondError(w, req, &oauth.Error{Code: "access_denied", Description: "The user denied access.", Status: 400})
	}
	return p.oauth.Consent(r.Context(), w, req, cu.session)
}
