package oauth_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// Each replica caches applications, so a change made through one replica
// (or by hand in psql) must reach the others' caches: a rotated secret, a
// deleted application or a removed redirect URI stops working everywhere.
func TestAppCacheFollowsChangesAcrossReplicas(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	replica := testserver.Replica(t, r.env)
	a := r.app(nil)
	cc := url.Values{"grant_type": {"client_credentials"}}
	onReplica := func(secret string) int {
		s, _, _ := (&rig{t: t, env: replica}).post("/oauth/token", a.ClientID, secret, cc)
		return s
	}
	warm := func(secret string) {
		t.Helper()
		eventually(t, "the replica's cache is live", replica.Server.OAuth.AppCacheLive)
		if s := onReplica(secret); s != 200 {
			t.Fatalf("token on the replica: %d", s)
		}
	}
	warm(a.Secret)

	var rotated struct {
		ClientSecret string `json:"client_secret"`
	}
	if s := admin(t, r.env, "POST", "/oauth_applications/"+a.ID+"/rotate_secret", nil, &rotated); s != 200 {
		t.Fatalf("rotate: %d", s)
	}
	eventually(t, "the old secret is refused on the other replica", func() bool { return onReplica(a.Secret) == 401 })
	warm(rotated.ClientSecret)

	// A change by hand, behind every replica's back, is heard too.
	if _, err := r.env.DB.Pool.Exec(context.Background(),
		`UPDATE oauth_applications SET public = true, client_secret_hash = NULL WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a hand-made change reaches the replica", func() bool { return onReplica(rotated.ClientSecret) == 401 })

	if s := admin(t, r.env, "DELETE", "/oauth_applications/"+a.ID, nil, nil); s != 200 {
		t.Fatalf("delete: %d", s)
	}
	eventually(t, "a deleted application is unknown on the replica", func() bool { return onReplica("") == 401 })
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
