package bapi_test

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestHostileIDs(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	victim := hostileCreate(t, env, map[string]any{"email_address": []string{"victim@example.com"},
		"phone_number": []string{"+15555550100"}})
	email, phone := victim.EmailAddresses[0].ID, victim.PhoneNumbers[0].ID
	before := hostileSnapshot(t, env, victim.ID)

	ids := []string{
		"user_doesnotexist000000000000", "idn_doesnotexist000000000000",
		"..", "..%2F", "..%2F..%2Fjwks", "..%2Fcount", "..%2F" + victim.ID, "%2E%2E%2F%2E%2E%2Fusers",
		"%2F", "%5C..%5C", "..%5C..%5Cjwks", "%252E%252E%252F",
		"%00", "%00" + victim.ID, victim.ID + "%00", "%FF%FE", victim.ID + "%C0%AF",
		"%27%20OR%20%271%27%3D%271", "%25", "_", "%25%25", "%5F", "*", "%24%31", "%3B--",
		strings.ToUpper(victim.ID), victim.ID + "%20", "%20" + victim.ID, victim.ID + "x",
		strings.Repeat("a", 64<<10), "user_" + strings.Repeat("%41", 20<<10),
		"%E2%80%AE" + victim.ID, email, phone,
	}
	type route struct {
		method, path string
		body         []byte
		forUser      bool
	}
	routes := []route{
		{"GET", "/users/%s", nil, true},
		{"PATCH", "/users/%s", []byte(`{"first_name":"Eve"}`), true},
		{"DELETE", "/users/%s", nil, true},
		{"PATCH", "/users/%s/metadata", []byte(`{"public_metadata":{"a":1}}`), true},
		{"POST", "/users/%s/ban", nil, true},
		{"POST", "/users/%s/unban", nil, true},
		{"POST", "/users/%s/lock", nil, true},
		{"POST", "/users/%s/unlock", nil, true},
		{"POST", "/users/%s/verify_password", []byte(`{"password":"whatever-password-1"}`), true},
		{"GET", "/email_addresses/%s", nil, false},
		{"PATCH", "/email_addresses/%s", []byte(`{"verified":false}`), false},
		{"DELETE", "/email_addresses/%s", nil, false},
		{"GET", "/phone_numbers/%s", nil, false},
		{"PATCH", "/phone_numbers/%s", []byte(`{"verified":false}`), false},
		{"DELETE", "/phone_numbers/%s", nil, false},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+strings.ReplaceAll(rt.path, "%s", "{id}"), func(t *testing.T) {
			for _, id := range ids {
				// The victim's own email and phone ids are real identification
				// ids: they may only be found where their type matches.
				if (id == email && strings.HasPrefix(rt.path, "/email_addresses")) ||
					(id == phone && strings.HasPrefix(rt.path, "/phone_numbers")) {
					continue
				}
				path := strings.Replace(rt.path, "%s", id, 1)
				r := hostileDo(t, env, hostileReq{method: rt.method, path: path, body: rt.body})
				shown := path
				if len(shown) > 80 {
					shown = shown[:80] + "..."
				}
				hostileWantError(t, rt.method+" "+shown, r, 404, "resource_not_found", "")
			}
			hostileUnchanged(t, env, rt.method+" "+rt.path, before, victim.ID)
		})
	}

	t.Run("add to a missing user", func(t *testing.T) {
		for _, uid := range []string{"user_doesnotexist", "' OR '1'='1", "%", strings.Repeat("u", 64<<10), victim.ID + " "} {
			r := hostileDo(t, env, hostileReq{method: "POST", path: "/email_addresses",
				body: hostileJSON(t, map[string]any{"user_id": uid, "email_address": "second@example.com"})})
			hostileWantError(t, "email for "+uid[:min(len(uid), 40)], r, 404, "resource_not_found", "")
			r = hostileDo(t, env, hostileReq{method: "POST", path: "/phone_numbers",
				body: hostileJSON(t, map[string]any{"user_id": uid, "phone_number": "+15555550199"})})
			hostileWantError(t, "phone for "+uid[:min(len(uid), 40)], r, 404, "resource_not_found", "")
		}
		hostileUnchanged(t, env, "add to a missing user", before, victim.ID)
	})
}
