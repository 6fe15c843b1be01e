package bench

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// tokens is the part of a token response the benchmark uses.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// codeFlow is one whole authorization-code round trip for the signed-in
// user, as a confidential client with PKCE S256 would do it: authorize (the
// browser follows no redirect; the code is in Location), redeem the code,
// call userinfo with the access token.
func (fx *fixture) codeFlow(ctx context.Context, t *target) (tokens, error) {
	tok, err := fx.authorizeAndRedeem(ctx, t)
	if err != nil {
		return tok, err
	}
	return tok, fx.userinfo(ctx, t, tok.AccessToken)
}

// authorizeAndRedeem gets a code and redeems it.
func (fx *fixture) authorizeAndRedeem(ctx context.Context, t *target) (tokens, error) {
	verifier := randomString(43)
	sum := sha256.Sum256([]byte(verifier))
	state := randomString(16)
	q := url.Values{
		"response_type": {"code"}, "client_id": {fx.clientID}, "redirect_uri": {benchRedirectURI}, "scope": {benchScopes},
		"state": {state}, "nonce": {randomString(16)},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.public+"/oauth/authorize?"+q.Encode(), nil)
	res, err := fx.browser.Do(req)
	if err != nil {
		return tokens{}, err
	}
	drain(res)
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), benchRedirectURI+"?") {
		return tokens{}, fmt.Errorf("authorize: %d to %q (is the user still signed in?)", res.StatusCode, res.Header.Get("Location"))
	}
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != state {
		return tokens{}, fmt.Errorf("authorize: no code or wrong state in %q", loc)
	}
	return fx.token(ctx, t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {benchRedirectURI}, "code_verifier": {verifier}})
}

// token calls the token endpoint as the application (client_secret_basic).
func (fx *fixture) token(ctx context.Context, t *target, form url.Values) (tokens, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.public+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fx.basicAuth)
	res, err := t.api.Do(req)
	if err != nil {
		return tokens{}, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return tokens{}, fmt.Errorf("token (%s): %d %s", form.Get("grant_type"), res.StatusCode, raw)
	}
	var tok tokens
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" {
		return tokens{}, fmt.Errorf("token (%s): unreadable answer %q", form.Get("grant_type"), raw)
	}
	return tok, nil
}

// userinfo calls the userinfo endpoint with a bearer token.
func (fx *fixture) userinfo(ctx context.Context, t *target, access string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.public+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	res, err := t.api.Do(req)
	if err != nil {
		return err
	}
	drain(res)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("userinfo: %d", res.StatusCode)
	}
	return nil
}
