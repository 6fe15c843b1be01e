package bapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestHostileUsernames(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	victim := hostileCreate(t, env, map[string]any{"email_address": []string{"victim@example.com"}, "username": "victim"})
	before := hostileSnapshot(t, env, victim.ID)

	cases := []struct {
		name, username, code string
	}{
		{"Cyrillic a", "\u0430dmin", "form_username_invalid_character"},
		{"Cyrillic e", "vi\u0441tim", "form_username_invalid_character"}, // с
		{"Cyrillic e 2", "us\u0435r1", "form_username_invalid_character"},
		{"Cyrillic o", "r\u043e\u043et", "form_username_invalid_character"},
		{"Greek omicron", "g\u03bfod1", "form_username_invalid_character"},
		{"full-width", "\uff56\uff49\uff43\uff54\uff49\uff4d", "form_username_invalid_character"},
		{"zero-width joiner", "vic\u200dtim", "form_username_invalid_character"},
		{"zero-width space", "vic\u200btim", "form_username_invalid_character"},
		{"RTL override", "adm\u202enim", "form_username_invalid_character"},
		{"BOM", "\ufeffvictim", "form_username_invalid_character"},
		{"combining accent", "victi\u0301m", "form_username_invalid_character"},
		{"no-break space", "vic\u00a0tim", "form_username_invalid_character"},
		{"dotless i", "v\u0131ctim", "form_username_invalid_character"},
		{"Kelvin sign", "\u212aelvin", "form_username_invalid_character"},
		{"long s", "\u017fam_x", "form_username_invalid_character"},
		{"Latin ligature", "\ufb01rst1", "form_username_invalid_character"},
		{"at sign", "victim@x", "form_username_invalid_character"},
		{"space", "vic tim", "form_username_invalid_character"},
		{"dot", "vic.tim", "form_username_invalid_character"},
		{"slash", "../victim", "form_username_invalid_character"},
		{"quote", "vic'tim", "form_username_invalid_character"},
		{"64 full-width", strings.Repeat("\uff41", 64), "form_username_invalid_character"},
		{"too short", "abc", "form_username_invalid_length"},
		{"too short with ZWJ", "ab\u200d", "form_username_invalid_length"},
		{"only spaces", "   ", "form_username_invalid_length"},
		{"too long", strings.Repeat("a", 65), "form_username_invalid_length"},
		{"far too long", strings.Repeat("a", 10000), "form_username_invalid_length"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := hostileDo(t, env, hostileReq{method: "POST", path: "/users", body: hostileJSON(t, map[string]any{
				"email_address": []string{fmt.Sprintf("new%d@example.com", i)}, "username": tc.username})})
			hostileWantError(t, "create "+tc.name, r, 422, tc.code, "username")
			r = hostileDo(t, env, hostileReq{method: "PATCH", path: "/users/" + victim.ID,
				body: hostileJSON(t, map[string]any{"username": tc.username})})
			hostileWantError(t, "update "+tc.name, r, 422, tc.code, "username")
			before = hostileUnchanged(t, env, tc.name, before, victim.ID)
		})
	}
}
