package social

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/apperr"
)

// Profile is who the provider says the person is. EmailVerified is true
// only when the provider proves ownership of the address; a claim that is
// not such proof (Microsoft's email, email_verified as a string) leaves it false.
type Profile struct {
	ProviderUserID string `json:"provider_user_id"`
	Email          string `json:"email"`
	EmailVerified  bool   `json:"email_verified"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Username       string `json:"username"`
	ImageURL       string `json:"image_url"`
}

// fetchProfile reads the profile after the code exchange.
func (s *Service) fetchProfile(ctx context.Context, p *Provider, tok *oauth2.Token, claims map[string]any, params url.Values) (Profile, error) {
	var prof Profile
	var err error
	switch p.spec.kind {
	case kindOIDC, kindMicrosoft, kindApple:
		prof, err = profileFromClaims(p, claims)
		if p.spec.kind == kindApple {
			appleFirstLogin(&prof, params.Get("user"))
		}
	case kindGitHub:
		prof, err = s.github(ctx, p, tok)
	case kindFacebook:
		prof, err = s.facebook(ctx, p, tok)
	case kindDiscord:
		prof, err = s.discord(ctx, p, tok)
	case kindX:
		prof, err = s.x(ctx, p, tok)
	case kindOAuth2:
		prof, err = s.mapped(ctx, p, tok)
	default:
		err = fmt.Errorf("social: unknown provider kind %q", p.spec.kind)
	}
	if err != nil {
		if apperr.As(err) != nil {
			return prof, err
		}
		return prof, apperr.New(apperr.KindInvalid, "oauth_profile_unavailable", "The provider's profile could not be read.",
			"The provider signed you in but its profile could not be read; try again.")
	}
	if prof.ProviderUserID == "" {
		return prof, errIDToken("the provider named no user")
	}
	prof.Email = strings.ToLower(strings.TrimSpace(prof.Email))
	if prof.Email == "" {
		prof.EmailVerified = false
	}
	return prof, nil
}

// profileFromClaims reads an ID token's standard claims.
func profileFromClaims(p *Provider, c map[string]any) (Profile, error) {
	prof := Profile{ProviderUserID: str(c["sub"]), Email: str(c["email"]), FirstName: str(c["given_name"]),
		LastName: str(c["family_name"]), Username: str(c["preferred_username"]), ImageURL: str(c["picture"])}
	switch p.spec.kind {
	case kindMicrosoft:
		// Microsoft's email claim is whatever the tenant admin typed: not
		// proof of ownership. Only xms_edov (email domain owner verified,
		// an optional claim) counts.
		prof.EmailVerified = c["xms_edov"] == true
		if prof.Email == "" {
			prof.Email = str(c["preferred_username"])
		}
	case kindApple:
		// Apple documents email_verified as a boolean or the string "true".
		prof.EmailVerified = c["email_verified"] == true || c["email_verified"] == "true"
	default:
		// Only a real JSON true: "true" as a string or a missing claim is not proof.
		prof.EmailVerified = c["email_verified"] == true
	}
	if prof.FirstName == "" && prof.LastName == "" {
		prof.FirstName, prof.LastName = splitName(str(c["name"]))
	}
	return prof, nil
}

// appleFirstLogin reads the name Apple posts (as JSON in the "user" form
// field) only on the very first authorization of the app.
func appleFirstLogin(prof *Profile, user string) {
	if user == "" || len(user) > 4096 {
		return
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(user), &u) == nil {
		if u.Name.FirstName != "" {
			prof.FirstName = u.Name.FirstName
		}
		if u.Name.LastName != "" {
			prof.LastName = u.Name.LastName
		}
	}
}

// github reads GET /user and the verified primary address from GET /user/emails.
func (s *Service) github(ctx context.Context, p *Provider, tok *oauth2.Token) (Profile, error) {
	var u struct {
		ID        int64  `json:"id"`
		Login     string `json:"login"`
		Name      string `json:"name"`
		AvatarURL string `json:"avatar_url"`
	}
	if err := s.getJSON(ctx, tok, p.spec.apiURL+"/user", &u); err != nil {
		return Profile{}, err
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := s.getJSON(ctx, tok, p.spec.apiURL+"/user/emails", &emails); err != nil {
		return Profile{}, err
	}
	prof := Profile{ProviderUserID: strconv.FormatInt(u.ID, 10), Username: u.Login, ImageURL: u.AvatarURL}
	if u.ID == 0 {
		prof.ProviderUserID = ""
	}
	prof.FirstName, prof.LastName = splitName(u.Name)
	// The primary address if verified, else any verified one; an unverified
	// address is kept only when there is nothing better, as unverified.
	for _, pass := range []func(primary, verified bool) bool{
		func(pr, v bool) bool { return pr && v }, func(_, v bool) bool { return v }, func(pr, _ bool) bool { return pr },
	} {
		for _, e := range emails {
			if prof.Email == "" && pass(e.Primary, e.Verified) {
				prof.Email, prof.EmailVerified = e.Email, e.Verified
			}
		}
	}
	return prof, nil
}

// facebook reads the Graph API's /me. Facebook does not say whether the
// address was confirmed, so it is treated as unverified.
func (s *Service) facebook(ctx context.Context, p *Provider, tok *oauth2.Token) (Profile, error) {
	var u struct {
		ID        string `json:"id"`
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Picture   struct {
			Data struct {
				URL string `json:"url"`
			} `json:"data"`
		} `json:"picture"`
	}
	if err := s.getJSON(ctx, tok, p.spec.apiURL+"/me?fields=id,email,first_name,last_name,picture", &u); err != nil {
		return Profile{}, err
	}
	return Profile{ProviderUserID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		ImageURL: u.Picture.Data.URL}, nil
}

// discord reads /users/@me, whose "verified" says whether the email is.
func (s *Service) discord(ctx context.Context, p *Provider, tok *oauth2.Token) (Profile, error) {
	var u struct {
		ID         string `json:"id"`
		Username   string `json:"username"`
		GlobalName string `json:"global_name"`
		Email      string `json:"email"`
		Verified   bool   `json:"verified"`
		Avatar     string `json:"avatar"`
	}
	if err := s.getJSON(ctx, tok, p.spec.apiURL+"/users/@me", &u); err != nil {
		return Profile{}, err
	}
	prof := Profile{ProviderUserID: u.ID, Username: u.Username, Email: u.Email, EmailVerified: u.Verified}
	prof.FirstName, prof.LastName = splitName(u.GlobalName)
	if u.Avatar != "" {
		prof.ImageURL = "https://cdn.discordapp.com/avatars/" + u.ID + "/" + u.Avatar + ".png"
	}
	return prof, nil
}

// x reads /2/users/me; X gives no email address.
func (s *Service) x(ctx context.Context, p *Provider, tok *oauth2.Token) (Profile, error) {
	var u struct {
		Data struct {
			ID              string `json:"id"`
			Name            string `json:"name"`
			Username        string `json:"username"`
			ProfileImageURL string `json:"profile_image_url"`
		} `json:"data"`
	}
	if err := s.getJSON(ctx, tok, p.spec.apiURL+"/2/users/me?user.fields=profile_image_url", &u); err != nil {
		return Profile{}, err
	}
	prof := Profile{ProviderUserID: u.Data.ID, Username: u.Data.Username, ImageURL: u.Data.ProfileImageURL}
	prof.FirstName, prof.LastName = splitName(u.Data.Name)
	return prof, nil
}

// mapped reads a custom OAuth 2.0 provider's userinfo through its field mapping.
func (s *Service) mapped(ctx context.Context, p *Provider, tok *oauth2.Token) (Profile, error) {
	var doc map[string]any
	if err := s.getJSON(ctx, tok, p.conn.UserinfoURL, &doc); err != nil {
		return Profile{}, err
	}
	m := p.conn.Claims
	get := func(field string) any {
		path := m[field]
		if path == "" {
			return nil
		}
		var cur any = doc
		for _, part := range strings.Split(path, ".") {
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = obj[part]
		}
		return cur
	}
	prof := Profile{ProviderUserID: str(get("id")), Email: str(get("email")), FirstName: str(get("first_name")),
		LastName: str(get("last_name")), Username: str(get("username")), ImageURL: str(get("image_url")),
		EmailVerified: get("email_verified") == true}
	if prof.FirstName == "" && prof.LastName == "" {
		prof.FirstName, prof.LastName = splitName(str(get("name")))
	}
	return prof, nil
}

// getJSON calls a provider API with the access token.
func (s *Service) getJSON(ctx context.Context, tok *oauth2.Token, u string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := s.Registry.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("social: GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(dst)
}

// str renders a claim as a string: strings as they are, numbers (GitHub and
// some custom providers use numeric ids) without exponent.
func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	}
	return ""
}

func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexByte(name, ' '); i > 0 {
		return strings.TrimSpace(name[:i]), name[i+1:]
	}
	return name, ""
}
