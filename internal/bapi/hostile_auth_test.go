package bapi_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestHostileAuthorization(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	victim := hostileCreate(t, env, map[string]any{"email_address": []string{"victim@example.com"}})
	before := hostileSnapshot(t, env, victim.ID)

	key := env.SecretKey
	flip := key[:len(key)-1] + "A"
	if strings.HasSuffix(key, "A") {
		flip = key[:len(key)-1] + "B"
	}
	str := func(s string) *string { return &s }
	cases := []struct {
		name string
		auth *string
	}{
		{"absent", str("\x00absent")},
		{"empty", str("")},
		{"scheme only", str("Bearer")},
		{"Bearer and a space", str("Bearer ")},
		{"Bearer and spaces", str("Bearer     ")},
		{"garbage", str("garbage")},
		{"garbage bytes", str("Bearer \xff\xfe")},
		{"wrong key", str("Bearer sk_test_" + strings.Repeat("A", len(key)-len("sk_test_")))},
		{"key with one char changed", str("Bearer " + flip)},
		{"key with a suffix", str("Bearer " + key + "x")},
		{"key truncated", str("Bearer " + key[:len(key)-1])},
		{"key in upper case", str("Bearer " + strings.ToUpper(key))},
		{"key then junk", str("Bearer " + key + " junk")},
		{"live prefix", str("Bearer sk_live_" + strings.TrimPrefix(strings.TrimPrefix(key, "sk_test_"), "sk_live_"))},
		{"publishable key", str("Bearer pk_test_" + strings.TrimPrefix(key, "sk_test_"))},
		{"10KB key", str("Bearer sk_test_" + strings.Repeat("k", 10<<10))},
		{"10KB garbage", str("Bearer " + strings.Repeat("\xff", 10<<10))},
		{"key without scheme", str(key)},
		{"scheme glued to key", str("Bearer" + key)},
		{"Basic", str("Basic " + base64.StdEncoding.EncodeToString([]byte(key+":")))},
		{"Basic with key as password", str("Basic " + base64.StdEncoding.EncodeToString([]byte(":"+key)))},
		{"Token", str("Token " + key)},
		{"Digest", str(`Digest username="` + key + `"`)},
		{"Bearer, comma", str("Bearer " + key + ", Bearer " + key)},
		{"SQL in key", str("Bearer sk_test_' OR '1'='1")},
	}
	requests := []hostileReq{
		{method: "POST", path: "/users", body: []byte(`{"email_address":["intruder@example.com"]}`)},
		{method: "DELETE", path: "/users/" + victim.ID},
		{method: "POST", path: "/users/" + victim.ID + "/ban"},
		{method: "PATCH", path: "/users/" + victim.ID, body: []byte(`{"first_name":"Pwned"}`)},
		{method: "GET", path: "/users"},
		{method: "GET", path: "/users/count"},
		{method: "GET", path: "/jwks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, req := range requests {
				req.auth = tc.auth
				r := hostileDo(t, env, req)
				hostileWantError(t, req.method+" "+req.path, r, 401, "authentication_invalid", "")
				if strings.Contains(string(r.body), "victim@example.com") {
					t.Fatalf("401 leaks data: %s", r.body)
				}
			}
			before = hostileUnchanged(t, env, tc.name, before, victim.ID)
		})
	}
}
