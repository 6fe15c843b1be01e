package bapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

func TestClerkSDKJWKSAndAuthentication(t *testing.T) {
	t.Parallel()
	env, c := startSDK(t)
	ctx := context.Background()

	t.Run("JWKS", func(t *testing.T) {
		set := res(c.jwks.Get(ctx, &jwks.GetParams{})).must(t)
		if len(set.Keys) == 0 {
			t.Fatal("jwks: no keys")
		}
		for _, k := range set.Keys {
			if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" {
				t.Fatalf("jwks key: kid %q alg %q use %q", k.KeyID, k.Algorithm, k.Use)
			}
			// The SDK parsed the key material into a usable RSA public key.
			pub, ok := k.Key.(interface{ Size() int })
			if !ok || pub.Size() < 256 {
				t.Fatalf("jwks key %s: parsed key %T, want an RSA public key of at least 2048 bits", k.KeyID, k.Key)
			}
		}
		var rawSet struct {
			Keys []struct{ Kty, N, E string } `json:"keys"`
		}
		if err := json.Unmarshal(set.Response.RawJSON, &rawSet); err != nil || len(rawSet.Keys) != len(set.Keys) {
			t.Fatalf("jwks raw: %s (%v)", set.Response.RawJSON, err)
		}
		for _, k := range rawSet.Keys {
			if k.Kty != "RSA" || k.N == "" || k.E == "" {
				t.Fatalf("jwks raw key: %+v", k)
			}
		}
	})

	t.Run("WrongSecretKey", func(t *testing.T) {
		bad := newSDK(env, "sk_test_"+string(bytes.Repeat([]byte("x"), 40)))
		_, err := bad.users.List(ctx, &user.ListParams{})
		wantAPIError(t, err, 401, "authentication_invalid")
		_, err = bad.jwks.Get(ctx, &jwks.GetParams{})
		wantAPIError(t, err, 401, "authentication_invalid")
		_, err = bad.users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"intruder@example.com"}})
		wantAPIError(t, err, 401, "authentication_invalid")
		// Nothing was created.
		if n := res(c.users.Count(ctx, &user.ListParams{})).must(t); n.TotalCount != 0 {
			t.Fatalf("count after rejected create: %d", n.TotalCount)
		}
	})

	t.Run("EmptySecretKey", func(t *testing.T) {
		_, err := newSDK(env, "").users.Get(ctx, "user_x")
		wantAPIError(t, err, 401, "authentication_invalid")
	})
}
