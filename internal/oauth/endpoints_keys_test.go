package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
)

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	a := r.app(nil)
	before := r.tokens(a, "openid profile")
	oldKID := jwtPart(t, str(before, "access_token"), 0)["kid"]
	ctx := context.Background()
	newKID, err := r.env.Server.Keyring.Rotate(ctx, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Published at once, signing only after the propagation time.
	if during := r.tokens(a, "openid"); jwtPart(t, str(during, "access_token"), 0)["kid"] != oldKID {
		t.Fatal("the new key signed before it propagated")
	}
	r.env.Clock.Advance(keys.Propagation + time.Second)
	if err := r.env.Server.Keyring.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	after := r.tokens(a, "openid profile")
	if jwtPart(t, str(after, "access_token"), 0)["kid"] != newKID || jwtPart(t, str(after, "id_token"), 0)["kid"] != newKID {
		t.Fatal("the new key does not sign after propagation")
	}
	for name, tok := range map[string]map[string]any{"before": before, "after": after} {
		if s, _, _ := r.userinfo(str(tok, "access_token")); s != 200 {
			t.Fatalf("userinfo with the token from %s the rotation: %d", name, s)
		}
		if got := r.introspect(a, str(tok, "access_token")); got["active"] != true {
			t.Fatalf("introspection of the token from %s the rotation: %v", name, got)
		}
	}
	_, jwks := r.get(http.DefaultClient, r.env.PublicURL+"/.well-known/jwks.json")
	if !strings.Contains(jwks, oldKID.(string)) || !strings.Contains(jwks, newKID) {
		t.Fatalf("jwks during rotation: %s", jwks)
	}
	// Once the old key's tokens have all expired, it is gone.
	r.env.Clock.Advance(2*time.Hour + 6*time.Minute)
	if err := r.env.Server.Keyring.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := r.userinfo(str(before, "access_token")); s != 401 {
		t.Fatalf("a token of the retired key: %d", s)
	}
}
