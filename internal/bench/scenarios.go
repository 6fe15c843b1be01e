package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// requestFunc performs one measured request (or round trip) of one client.
type requestFunc func(ctx context.Context) error

// scenario is one kind of load.
type scenario struct {
	name string
	what string
	// signs is the RS256 signatures the server makes per request, which
	// relates the scenario to the bare signing rate; 0 when it signs nothing.
	signs int
	// prepare builds client i's request function; it may call the server
	// (before the statement counters are reset).
	prepare func(ctx context.Context, t *target, fx *fixture, i int) (requestFunc, error)
}

// scenarios, in the order they run: the cheap, read-only ones first, the
// writing ones last.
var scenarios = []scenario{
	{name: "discovery", what: "GET /.well-known/openid-configuration", prepare: getStatic("/.well-known/openid-configuration")},
	{name: "jwks", what: "GET /.well-known/jwks.json", prepare: getStatic("/.well-known/jwks.json")},
	{name: "client_credentials", what: "POST /oauth/token grant_type=client_credentials (Basic)", signs: 1, prepare: clientCredentials},
	{name: "introspection", what: "POST /oauth/token_info of a user's access token", prepare: introspection},
	{name: "userinfo", what: "GET /oauth/userinfo with a user's access token", prepare: userinfo},
	{name: "refresh", what: "POST /oauth/token grant_type=refresh_token, rotating (openid: ID token too)", signs: 2, prepare: refresh},
	{name: "code_flow", what: "authorize -> code -> token (PKCE S256) -> userinfo, signed-in user", signs: 2, prepare: codeFlow},
}

func scenarioByName(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// Scenarios names the scenarios, in the order they run.
func Scenarios() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

func scenarioNames() string { return strings.Join(Scenarios(), ", ") }

func selectedScenarios(only []string) []scenario {
	if len(only) == 0 {
		return scenarios
	}
	var out []scenario
	for _, s := range scenarios {
		for _, name := range only {
			if s.name == name {
				out = append(out, s)
			}
		}
	}
	return out
}

// statusError is an unexpected answer.
func statusError(what string, res *http.Response) error {
	return fmt.Errorf("%s: HTTP %d", what, res.StatusCode)
}

func getStatic(path string) func(context.Context, *target, *fixture, int) (requestFunc, error) {
	return func(_ context.Context, t *target, _ *fixture, _ int) (requestFunc, error) {
		u := t.public + path
		viaNetHTTP := func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			res, err := t.api.Do(req)
			if err != nil {
				return err
			}
			drain(res)
			if res.StatusCode != http.StatusOK {
				return statusError(path, res)
			}
			return nil
		}
		return rawRequest(t, http.MethodGet, path, http.Header{}, nil, nil, viaNetHTTP), nil
	}
}

// postForm returns a request function posting a fixed form as the
// application, checking the status and that the body contains want.
func postForm(t *target, fx *fixture, path string, form url.Values, want []byte) requestFunc {
	u, body := t.public+path, []byte(form.Encode())
	viaNetHTTP := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", fx.basicAuth)
		res, err := t.api.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return statusError(path, res)
		}
		if !bytes.Contains(raw, want) {
			return fmt.Errorf("%s: answer lacks %s", path, want)
		}
		return nil
	}
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {fx.basicAuth}}
	return rawRequest(t, http.MethodPost, path, header, body, want, viaNetHTTP)
}

func clientCredentials(_ context.Context, t *target, fx *fixture, _ int) (requestFunc, error) {
	return postForm(t, fx, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, []byte(`"access_token"`)), nil
}

// sharedAccessToken is one user access token for the read scenarios,
// obtained once per run.
func (fx *fixture) sharedAccessToken(ctx context.Context, t *target) (string, error) {
	fx.sharedOnce.Do(func() {
		var tok tokens
		tok, fx.sharedErr = fx.authorizeAndRedeem(ctx, t)
		fx.shared = tok.AccessToken
	})
	return fx.shared, fx.sharedErr
}

func introspection(ctx context.Context, t *target, fx *fixture, _ int) (requestFunc, error) {
	access, err := fx.sharedAccessToken(ctx, t)
	if err != nil {
		return nil, err
	}
	return postForm(t, fx, "/oauth/token_info", url.Values{"token": {access}}, []byte(`"active":true`)), nil
}

func userinfo(ctx context.Context, t *target, fx *fixture, _ int) (requestFunc, error) {
	access, err := fx.sharedAccessToken(ctx, t)
	if err != nil {
		return nil, err
	}
	header := http.Header{"Authorization": {"Bearer " + access}}
	viaNetHTTP := func(ctx context.Context) error { return fx.userinfo(ctx, t, access) }
	return rawRequest(t, http.MethodGet, "/oauth/userinfo", header, nil, nil, viaNetHTTP), nil
}

// refresh gives each client its own grant and rotates its refresh token on
// every request, as one client refreshing serially would.
func refresh(ctx context.Context, t *target, fx *fixture, _ int) (requestFunc, error) {
	tok, err := fx.authorizeAndRedeem(ctx, t)
	if err != nil {
		return nil, err
	}
	current := tok.RefreshToken
	if current == "" {
		return nil, fmt.Errorf("no refresh token (offline_access) from the code flow")
	}
	return func(ctx context.Context) error { // one client's requests are serial
		next, err := fx.token(ctx, t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {current}})
		if err != nil {
			return err
		}
		if next.RefreshToken == "" || next.IDToken == "" {
			return fmt.Errorf("refresh: no new refresh token or ID token")
		}
		current = next.RefreshToken
		return nil
	}, nil
}

func codeFlow(_ context.Context, t *target, fx *fixture, _ int) (requestFunc, error) {
	return func(ctx context.Context) error {
		_, err := fx.codeFlow(ctx, t)
		return err
	}, nil
}
