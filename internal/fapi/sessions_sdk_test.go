package fapi_test

// Session tokens minted by the frontend API, verified the way an application
// built for Clerk verifies them: with clerk-sdk-go's jwt.Verify and its
// net/http middleware, fetching keys from our Backend API's /v1/jwks.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkhttp "github.com/clerk/clerk-sdk-go/v2/http"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	clerkjwt "github.com/clerk/clerk-sdk-go/v2/jwt"

	"github.com/latchkey/latchkey/internal/testserver"
)

// sessSDKJWKS is a jwks.Client bound to the test server's Backend API.
func sessSDKJWKS(env *testserver.Env) *jwks.Client {
	cfg := &clerk.ClientConfig{}
	cfg.Key = clerk.String(env.SecretKey)
	cfg.URL = clerk.String(env.AdminURL + "/v1")
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	return jwks.NewClient(cfg)
}

func TestSessionTokenVerifiesWithClerkSDK(t *testing.T) {
	env, b, uid, sid := sessStart(t)
	ctx := context.Background()
	issuer := env.Server.Config.PublicURL
	// The issuer is the configured public URL (testserver leaves the default
	// http://localhost:8080), not the loopback address the test listens on.
	if issuer == "" {
		t.Fatal("no public URL")
	}
	tok := b.mustMint(sid)
	jc := sessSDKJWKS(env)

	claims, err := clerkjwt.Verify(ctx, &clerkjwt.VerifyParams{
		Token: tok, JWKSClient: jc, ProxyURL: clerk.String(issuer), Clock: env.Clock,
	})
	if err != nil {
		t.Fatalf("clerk jwt.Verify: %v", err)
	}
	if claims.Subject != uid || claims.SessionID != sid || claims.Issuer != issuer {
		t.Fatalf("claims sub=%q sid=%q iss=%q; want %q %q %q", claims.Subject, claims.SessionID, claims.Issuer, uid, sid, issuer)
	}
	// The SDK reports Version 1 for any token without an "o" (organization)
	// claim, Clerk's own v2 tokens included; the raw claim says 2.
	if _, raw := sessClaims(t, tok); raw["v"] != json.Number("2") {
		t.Fatalf("v = %v, want 2", raw["v"])
	}
	if claims.FactorVerificationAge != [2]int64{0, -1} || claims.AuthorizedParty != "" {
		t.Fatalf("claims fva=%v azp=%q", claims.FactorVerificationAge, claims.AuthorizedParty)
	}
	if claims.Expiry == nil || claims.IssuedAt == nil || *claims.Expiry-*claims.IssuedAt != 60 {
		t.Fatalf("exp %v iat %v: want a 60 s token", claims.Expiry, claims.IssuedAt)
	}

	// The issuer check is exact: a verifier configured with another URL, or
	// with none (the SDK then expects a clerk.* issuer), refuses the token.
	for _, proxy := range []*string{clerk.String(issuer + "/"), clerk.String(env.PublicURL), nil} {
		if _, err := clerkjwt.Verify(ctx, &clerkjwt.VerifyParams{Token: tok, JWKSClient: jc, ProxyURL: proxy, Clock: env.Clock}); err == nil ||
			!strings.Contains(err.Error(), "invalid issuer") {
			t.Fatalf("ProxyURL %v: err = %v, want invalid issuer", proxy, err)
		}
	}

	// Every published key carries kid, alg and use, both as the SDK decodes
	// them and in the raw JSON.
	set, err := jc.Get(ctx, &jwks.GetParams{})
	if err != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks.Get: %v (%d keys)", err, len(set.Keys))
	}
	h, _ := sessClaims(t, tok)
	signedBy := false
	for _, k := range set.Keys {
		if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" || k.Key == nil {
			t.Fatalf("key %+v lacks kid/alg/use", k)
		}
		signedBy = signedBy || k.KeyID == h["kid"]
	}
	if h["alg"] != "RS256" || h["typ"] != "JWT" || !signedBy {
		t.Fatalf("header %v: not signed by a published key", h)
	}
	for _, k := range sessJWKS(t, env) {
		for _, m := range []string{"kid", "alg", "use", "kty", "n", "e"} {
			if k[m] == "" {
				t.Fatalf("JWK %v has no %q", k, m)
			}
		}
	}
}

// An application built for Clerk: its handler sits behind the SDK's
// WithHeaderAuthorization middleware, configured only with our Backend API
// (for the keys) and our issuer.
func TestSessionTokenThroughClerkMiddleware(t *testing.T) {
	env, b, uid, sid := sessStart(t)
	issuer := env.Server.Config.PublicURL

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := clerk.SessionClaimsFromContext(r.Context())
		if !ok {
			w.WriteHeader(http.StatusNoContent) // reached, but anonymous
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": c.Subject, "sid": c.SessionID, "iss": c.Issuer})
	})
	srv := httptest.NewServer(clerkhttp.WithHeaderAuthorization(
		clerkhttp.JWKSClient(sessSDKJWKS(env)),
		clerkhttp.ProxyURL(issuer),
		clerkhttp.Clock(env.Clock),
	)(app))
	t.Cleanup(srv.Close)

	get := func(auth string) (int, map[string]string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	tok := b.mustMint(sid)
	if st, out := get("Bearer " + tok); st != http.StatusOK || out["sub"] != uid || out["sid"] != sid || out["iss"] != issuer {
		t.Fatalf("valid token: %d %v", st, out)
	}
	if st, _ := get(""); st != http.StatusNoContent {
		t.Fatalf("no token: %d, want the handler reached anonymously", st)
	}

	parts := strings.Split(tok, ".")
	// A forged payload (another subject) under the original signature.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), uid, "user_someoneelse", 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	if st, _ := get("Bearer " + tampered); st != http.StatusUnauthorized {
		t.Fatalf("forged payload: %d, want 401", st)
	}
	// A damaged signature.
	sig := []byte(parts[2])
	if sig[10] == 'A' {
		sig[10] = 'B'
	} else {
		sig[10] = 'A'
	}
	if st, _ := get("Bearer " + parts[0] + "." + parts[1] + "." + string(sig)); st != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d, want 401", st)
	}

	// The token lives 60 s: still good at 59 s, refused after expiry.
	env.Clock.Advance(59 * time.Second)
	if st, _ := get("Bearer " + tok); st != http.StatusOK {
		t.Fatalf("token at 59 s: %d, want 200", st)
	}
	env.Clock.Advance(2 * time.Second)
	if st, _ := get("Bearer " + tok); st != http.StatusUnauthorized {
		t.Fatalf("expired token: %d, want 401", st)
	}
	// A fresh token from the same session works again.
	if st, out := get("Bearer " + b.mustMint(sid)); st != http.StatusOK || out["sid"] != sid {
		t.Fatalf("fresh token: %d %v", st, out)
	}
}
