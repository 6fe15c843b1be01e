package oauth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// interopDir is the Node project holding flow.mjs; `make test-deps` installs
// its node_modules (npm ci).
const interopDir = "interop"

// interopReport is what flow.mjs prints after the whole flow.
type interopReport struct {
	Discovery struct {
		Issuer                        string   `json:"issuer"`
		AuthorizationEndpoint         string   `json:"authorization_endpoint"`
		TokenEndpoint                 string   `json:"token_endpoint"`
		UserinfoEndpoint              string   `json:"userinfo_endpoint"`
		JWKSURI                       string   `json:"jwks_uri"`
		IntrospectionEndpoint         string   `json:"introspection_endpoint"`
		RevocationEndpoint            string   `json:"revocation_endpoint"`
		EndSessionEndpoint            string   `json:"end_session_endpoint"`
		CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
		SupportsPKCE                  bool     `json:"supportsPKCE"`
	} `json:"discovery"`
	Authorization struct {
		State          string `json:"state"`
		Nonce          string `json:"nonce"`
		CodeChallenge  string `json:"code_challenge"`
		CallbackHasIss bool   `json:"callback_has_iss"`
	} `json:"authorization"`
	Code struct {
		TokenType         string            `json:"token_type"`
		Scope             string            `json:"scope"`
		ExpiresIn         int               `json:"expires_in"`
		HasRefreshToken   bool              `json:"has_refresh_token"`
		AccessTokenHeader map[string]string `json:"access_token_header"`
		IDTokenHeader     map[string]string `json:"id_token_header"`
		IDToken           struct {
			Iss           string `json:"iss"`
			Sub           string `json:"sub"`
			Aud           any    `json:"aud"`
			Nonce         string `json:"nonce"`
			AuthTime      int64  `json:"auth_time"`
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
			Name          string `json:"name"`
		} `json:"id_token"`
	} `json:"code"`
	Userinfo struct {
		Sub           string `json:"sub"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	} `json:"userinfo"`
	Introspection struct {
		AccessToken struct {
			Active    bool   `json:"active"`
			ClientID  string `json:"client_id"`
			Sub       string `json:"sub"`
			Scope     string `json:"scope"`
			TokenType string `json:"token_type"`
			Iss       string `json:"iss"`
		} `json:"access_token"`
		RefreshToken struct {
			Active    bool   `json:"active"`
			ClientID  string `json:"client_id"`
			Sub       string `json:"sub"`
			TokenType string `json:"token_type"`
		} `json:"refresh_token"`
		Garbage bool `json:"garbage"`
	} `json:"introspection"`
	Refresh struct {
		Rotated          bool   `json:"rotated"`
		NewAccessToken   bool   `json:"new_access_token"`
		IDTokenSub       string `json:"id_token_sub"`
		UserinfoSub      string `json:"userinfo_sub"`
		SpentTokenActive bool   `json:"spent_token_active"`
	} `json:"refresh"`
	Revocation struct {
		AccessTokenActive  bool   `json:"access_token_active"`
		RefreshTokenActive bool   `json:"refresh_token_active"`
		UserinfoError      string `json:"userinfo_error"`
		RefreshError       string `json:"refresh_error"`
	} `json:"revocation"`
	ClientCredentials struct {
		TokenType       string `json:"token_type"`
		ExpiresIn       int    `json:"expires_in"`
		HasRefreshToken bool   `json:"has_refresh_token"`
		Introspection   struct {
			Active   bool   `json:"active"`
			Sub      string `json:"sub"`
			ClientID string `json:"client_id"`
		} `json:"introspection"`
		ActiveAfterRevocation bool   `json:"active_after_revocation"`
		UserinfoError         string `json:"userinfo_error"`
	} `json:"client_credentials"`
	EndSession struct {
		URL   string `json:"url"`
		State string `json:"state"`
	} `json:"end_session"`
}

// TestInteropOpenIDClient runs the whole provider against openid-client
// (Node, flow.mjs): the certified relying party must accept discovery, the
// code flow with PKCE, the ID token, userinfo, refresh, introspection,
// revocation, client_credentials and RP-initiated logout.
func TestInteropOpenIDClient(t *testing.T) {
	t.Parallel()
	node := requireInteropDeps(t)
	env := testserver.StartListening(t)
	iss := env.Server.Config.PublicURL
	browser, userID := signedInBrowser(t, env, "grace@example.com")
	const callbackURI, signedOutURI = "https://rp.example.com/callback", "https://rp.example.com/signed-out"
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if s := admin(t, env, "POST", "/oauth_applications", map[string]any{"name": "openid-client",
		"redirect_uris": []string{callbackURI, signedOutURI}, "scopes": "openid profile email offline_access",
		"consent_screen_enabled": false}, &app); s != 200 || app.ClientSecret == "" {
		t.Fatalf("create app: %d %+v", s, app)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "flow.mjs")
	cmd.Dir = interopDir
	cmd.Env = append(os.Environ(), "LK_ISSUER="+iss, "LK_CLIENT_ID="+app.ClientID, "LK_CLIENT_SECRET="+app.ClientSecret,
		"LK_REDIRECT_URI="+callbackURI, "LK_POST_LOGOUT_REDIRECT_URI="+signedOutURI, "NODE_NO_WARNINGS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 0, 64<<10), 1<<20)
	// next reads the script's next JSON line into out, failing on its error line.
	next := func(what string, out any) {
		t.Helper()
		if !lines.Scan() {
			_ = cmd.Wait()
			t.Fatalf("flow.mjs ended before %s: %v\nstderr:\n%s", what, lines.Err(), stderr.String())
		}
		var failed struct{ Error, Step string }
		if json.Unmarshal(lines.Bytes(), &failed) == nil && failed.Error != "" {
			_ = cmd.Wait()
			t.Fatalf("openid-client failed at %s: %s\nstderr:\n%s", failed.Step, failed.Error, stderr.String())
		}
		if err := json.Unmarshal(lines.Bytes(), out); err != nil {
			t.Fatalf("flow.mjs printed %q for %s: %v", lines.Text(), what, err)
		}
	}

	// The browser opens the authorization URL openid-client built.
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	next("the authorization URL", &start)
	au, err := url.Parse(start.AuthorizationURL)
	if err != nil || !strings.HasPrefix(start.AuthorizationURL, iss+"/oauth/authorize?") {
		t.Fatalf("authorization URL %q", start.AuthorizationURL)
	}
	if q := au.Query(); q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" ||
		q.Get("nonce") == "" || q.Get("client_id") != app.ClientID || q.Get("response_type") != "code" {
		t.Fatalf("authorization URL lacks PKCE, state or nonce: %s", start.AuthorizationURL)
	}
	res, err := browser.Get(start.AuthorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	callback := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(callback, callbackURI+"?") {
		t.Fatalf("authorize answered %d, Location %q", res.StatusCode, callback)
	}
	if _, err := io.WriteString(stdin, callback+"\n"); err != nil {
		t.Fatal(err)
	}
	_ = stdin.Close()

	var out struct {
		Report interopReport `json:"report"`
	}
	next("the report", &out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("flow.mjs: %v\nstderr:\n%s", err, stderr.String())
	}
	r := out.Report
	t.Logf("openid-client report: %s", lines.Text())

	d := r.Discovery
	if d.Issuer != iss || d.TokenEndpoint != iss+"/oauth/token" || d.UserinfoEndpoint != iss+"/oauth/userinfo" ||
		d.JWKSURI != iss+"/.well-known/jwks.json" || d.IntrospectionEndpoint != iss+"/oauth/token_info" ||
		d.RevocationEndpoint != iss+"/oauth/token/revoke" || d.EndSessionEndpoint != iss+"/oauth/end_session" || !d.SupportsPKCE {
		t.Errorf("discovery as openid-client saw it: %+v", d)
	}
	if !r.Authorization.CallbackHasIss {
		t.Error("the authorization response carries no iss (RFC 9207)")
	}
	c := r.Code
	const granted = "email offline_access openid profile" // sorted
	if !strings.EqualFold(c.TokenType, "bearer") || !c.HasRefreshToken || c.ExpiresIn <= 0 || sortedScopes(c.Scope) != granted {
		t.Errorf("token response: %+v", c)
	}
	if c.AccessTokenHeader["typ"] != "at+jwt" || c.AccessTokenHeader["alg"] != "RS256" || c.AccessTokenHeader["kid"] == "" ||
		c.IDTokenHeader["alg"] != "RS256" || c.IDTokenHeader["kid"] == "" {
		t.Errorf("token headers: access %v, id %v", c.AccessTokenHeader, c.IDTokenHeader)
	}
	id := c.IDToken
	if id.Iss != iss || id.Sub != userID || id.Aud != app.ClientID || id.Nonce != r.Authorization.Nonce || id.AuthTime == 0 ||
		id.Email != "grace@example.com" || !id.EmailVerified || id.Name != "Ada Lovelace" {
		t.Errorf("ID token claims: %+v", id)
	}
	if u := r.Userinfo; u.Sub != userID || u.Email != "grace@example.com" || !u.EmailVerified || u.Name != "Ada Lovelace" {
		t.Errorf("userinfo: %+v", u)
	}
	i := r.Introspection
	if at := i.AccessToken; !at.Active || at.ClientID != app.ClientID || at.Sub != userID || at.TokenType != "access_token" ||
		sortedScopes(at.Scope) != granted || at.Iss != iss {
		t.Errorf("access token introspection: %+v", at)
	}
	if rt := i.RefreshToken; !rt.Active || rt.ClientID != app.ClientID || rt.Sub != userID || rt.TokenType != "refresh_token" {
		t.Errorf("refresh token introspection: %+v", rt)
	}
	if i.Garbage {
		t.Error("an arbitrary string introspected as active")
	}
	if f := r.Refresh; !f.Rotated || !f.NewAccessToken || f.IDTokenSub != userID || f.UserinfoSub != userID || f.SpentTokenActive {
		t.Errorf("refresh: %+v", f)
	}
	if v := r.Revocation; v.AccessTokenActive || v.RefreshTokenActive || v.UserinfoError != "bearer invalid_token" || v.RefreshError != "invalid_grant" {
		t.Errorf("after revocation: %+v", v)
	}
	cc := r.ClientCredentials
	if !strings.EqualFold(cc.TokenType, "bearer") || cc.ExpiresIn <= 0 || cc.HasRefreshToken ||
		!cc.Introspection.Active || cc.Introspection.Sub != app.ClientID || cc.Introspection.ClientID != app.ClientID ||
		cc.ActiveAfterRevocation || cc.UserinfoError != "bearer invalid_token" {
		t.Errorf("client_credentials: %+v", cc)
	}

	// RP-initiated logout with the URL openid-client built: the session ends
	// and the browser returns to the registered address with the state.
	eu, err := url.Parse(r.EndSession.URL)
	if err != nil || !strings.HasPrefix(r.EndSession.URL, iss+"/oauth/end_session?") || eu.Query().Get("id_token_hint") == "" {
		t.Fatalf("end-session URL %q", r.EndSession.URL)
	}
	res, err = browser.Get(r.EndSession.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || back == nil || !strings.HasPrefix(back.String(), signedOutURI) ||
		back.Query().Get("state") != r.EndSession.State {
		t.Fatalf("end session answered %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = browser.Get(start.AuthorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, iss+"/sign-in") {
		t.Fatalf("after end session, authorize answered %d, Location %q (want the sign-in page)", res.StatusCode, loc)
	}
}

func sortedScopes(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}

// requireInteropDeps returns the node binary, failing (not skipping) the
// test when Node or the installed openid-client is missing: interop is part
// of the suite, and `make test` installs what it needs.
func requireInteropDeps(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for the openid-client interop test): %v", err)
	}
	pkg := filepath.Join(interopDir, "node_modules", "openid-client", "package.json")
	raw, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatalf("openid-client is not installed: run `make test-deps` (npm ci --prefix internal/oauth/interop): %v", err)
	}
	var meta struct{ Version string }
	if json.Unmarshal(raw, &meta) != nil || !strings.HasPrefix(meta.Version, "6.") {
		t.Fatalf("%s: want openid-client v6, found %q; run `make test-deps`", pkg, meta.Version)
	}
	return node
}
