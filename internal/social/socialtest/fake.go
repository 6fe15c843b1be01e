// Package socialtest is an in-process stand-in for upstream providers: an
// OpenID Connect provider (discovery, JWKS, authorize, token, userinfo) that
// completes logins at once as the account the test chose, plus the
// provider-specific profile APIs Latchkey reads (GitHub /user and
// /user/emails, Facebook Graph /me, Discord /users/@me, X /2/users/me, a
// custom provider's /api/me), answering with those providers'
// documented shapes. Knobs let hostile tests forge what a provider says.
package socialtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Fake is one fake provider.
type Fake struct {
	*httptest.Server
	ClientID, ClientSecret string

	mu  sync.Mutex
	key *rsa.PrivateKey
	// Account is who the next login signs in as: ID-token claims (sub,
	// email, email_verified, given_name, ...) and the userinfo document.
	Account map[string]any
	// GitHubUser / GitHubEmails answer GET /user and GET /user/emails.
	GitHubUser   map[string]any
	GitHubEmails []map[string]any
	// FacebookMe answers GET /me (Graph API).
	FacebookMe map[string]any
	// DiscordMe answers GET /users/@me, XMe GET /2/users/me, and CustomMe
	// GET /api/me (a custom OAuth 2.0 provider's userinfo).
	DiscordMe, XMe, CustomMe map[string]any
	// SendIss adds the iss response parameter (RFC 9207) to redirects;
	// IssOverride replaces its value (a mix-up attempt).
	SendIss     bool
	IssOverride string
	// AdvertiseIss says in discovery that iss is sent (with or without SendIss).
	AdvertiseIss bool
	// NonceOverride replaces the nonce put in ID tokens; OmitNonce leaves it out.
	NonceOverride string
	OmitNonce     bool
	// AccessTokenTTL is the lifetime of issued access tokens.
	AccessTokenTTL time.Duration
	// FormPostUser, when set, is posted as Apple's "user" field with
	// response_mode=form_post.
	FormPostUser string

	codes      map[string]grant
	LastParams url.Values // the last authorization request's parameters
}

type grant struct {
	account   map[string]any
	nonce     string
	challenge string
	scope     string
	redirect  string
}

// Start runs a fake provider for the test.
func Start(t testing.TB) *Fake {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fake{ClientID: "latchkey-client", ClientSecret: "latchkey-secret", key: key, codes: map[string]grant{},
		AccessTokenTTL: time.Hour}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("/jwks", f.jwks)
	mux.HandleFunc("/authorize", f.authorize)
	mux.HandleFunc("/token", f.token)
	mux.HandleFunc("/userinfo", f.userinfo)
	mux.HandleFunc("/user", f.api(func() any { return f.GitHubUser }))
	mux.HandleFunc("/user/emails", f.api(func() any { return f.GitHubEmails }))
	mux.HandleFunc("/me", f.api(func() any { return f.FacebookMe }))
	mux.HandleFunc("/users/@me", f.api(func() any { return f.DiscordMe }))
	mux.HandleFunc("/2/users/me", f.api(func() any { return f.XMe }))
	mux.HandleFunc("/api/me", f.api(func() any { return f.CustomMe }))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// SetAccount chooses who the next login signs in as.
func (f *Fake) SetAccount(claims map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Account = claims
}

// Set changes knobs under the fake's lock.
func (f *Fake) Set(fn func(f *Fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *Fake) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"issuer": f.URL, "authorization_endpoint": f.URL + "/authorize",
		"token_endpoint": f.URL + "/token", "userinfo_endpoint": f.URL + "/userinfo", "jwks_uri": f.URL + "/jwks",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		"authorization_response_iss_parameter_supported": f.SendIss || f.AdvertiseIss})
}

func (f *Fake) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize completes the login at once as the current account.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	f.LastParams = q
	if q.Get("client_id") != f.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := randomString()
	f.codes[code] = grant{account: f.Account, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
		scope: q.Get("scope"), redirect: q.Get("redirect_uri")}
	resp := url.Values{"code": {code}, "state": {q.Get("state")}}
	if f.SendIss || f.IssOverride != "" {
		resp.Set("iss", f.URL)
		if f.IssOverride != "" {
			resp.Set("iss", f.IssOverride)
		}
	}
	if q.Get("response_mode") == "form_post" && f.FormPostUser != "" {
		resp.Set("user", f.FormPostUser)
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+resp.Encode(), http.StatusFound)
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.ClientID || secret != f.ClientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"error": "invalid_client"})
		return
	}
	g, ok := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code"))
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || r.PostForm.Get("redirect_uri") != g.redirect {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	claims := map[string]any{"iss": f.URL, "aud": f.ClientID, "iat": time.Now().Unix(),
		"exp": time.Now().Add(10 * time.Minute).Unix()}
	for k, v := range g.account {
		claims[k] = v
	}
	switch {
	case f.OmitNonce:
	case f.NonceOverride != "":
		claims["nonce"] = f.NonceOverride
	case g.nonce != "":
		claims["nonce"] = g.nonce
	}
	writeJSON(w, map[string]any{"access_token": "at_" + randomString(), "refresh_token": "rt_" + randomString(),
		"token_type": "Bearer", "expires_in": int(f.AccessTokenTTL.Seconds()), "scope": g.scope, "id_token": f.Sign(claims)})
}

// Sign makes an ID token signed by the provider's key (a native app's
// token, or a forgery when claims lie).
func (f *Fake) Sign(claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		panic(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		panic(err)
	}
	return raw
}

func (f *Fake) userinfo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, f.Account)
}

// api serves a profile endpoint to a bearer of any issued token.
func (f *Fake) api(doc func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at_") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, doc())
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	return n.Text(36)
}
