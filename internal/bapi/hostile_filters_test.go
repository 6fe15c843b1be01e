package bapi_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// hostileFilterUsers seeds users whose names hold the metacharacters the
// filters must match literally.
func hostileFilterUsers(t *testing.T, env *testserver.Env) []hostileUser {
	return []hostileUser{
		hostileCreate(t, env, map[string]any{"email_address": []string{"alice@example.com"}, "phone_number": []string{"+15555550101"},
			"username": "alice", "first_name": "Alice", "last_name": "Smith", "external_id": "ext-alice"}),
		hostileCreate(t, env, map[string]any{"email_address": []string{"bob@example.org"}, "phone_number": []string{"+15555550102"},
			"username": "bobby", "first_name": "Bob", "external_id": "ext-bob"}),
		hostileCreate(t, env, map[string]any{"email_address": []string{"deal@example.net"},
			"first_name": "50%_off", "last_name": "Deal", "banned": true}),
		hostileCreate(t, env, map[string]any{"email_address": []string{"conor@example.com"},
			"username": "conor-ob", "first_name": `Back\slash`, "last_name": "O'Brien"}),
	}
}

// hostileExpect is the oracle for one filter value: the ids the list should
// show, or invalid when the only right answer is a 422.
func hostileExpect(users []hostileUser, param, value string) (ids []string, invalid bool) {
	lower := strings.ToLower
	contains := func(field *string, v string) bool { return field != nil && strings.Contains(lower(*field), lower(v)) }
	emails := func(u hostileUser) []string {
		var out []string
		for _, e := range u.EmailAddresses {
			out = append(out, e.EmailAddress)
		}
		return out
	}
	phones := func(u hostileUser) []string {
		var out []string
		for _, p := range u.PhoneNumbers {
			out = append(out, p.PhoneNumber)
		}
		return out
	}
	anyContains := func(fields []string, v string) bool {
		for _, f := range fields {
			if contains(&f, v) {
				return true
			}
		}
		return false
	}
	fullName := func(u hostileUser) string { return hostileStr(u.FirstName) + " " + hostileStr(u.LastName) }
	v := strings.TrimSpace(value)
	bare, sign := v, byte('+')
	if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
		bare, sign = v[1:], v[0]
	}
	var match func(u hostileUser) bool
	switch param {
	case "query":
		match = func(u hostileUser) bool {
			id, name := u.ID, fullName(u)
			return anyContains(append(emails(u), phones(u)...), v) || contains(u.Username, v) ||
				contains(u.FirstName, v) || contains(u.LastName, v) || contains(&id, v) || contains(&name, v)
		}
	case "email_address_query":
		match = func(u hostileUser) bool { return anyContains(emails(u), v) }
	case "phone_number_query":
		match = func(u hostileUser) bool { return anyContains(phones(u), v) }
	case "username_query":
		match = func(u hostileUser) bool { return contains(u.Username, v) }
	case "name_query":
		match = func(u hostileUser) bool { name := fullName(u); return contains(&name, v) }
	case "email_address", "email_address[]":
		match = func(u hostileUser) bool {
			return slices.ContainsFunc(emails(u), func(e string) bool { return lower(e) == lower(v) })
		}
	case "phone_number":
		match = func(u hostileUser) bool { return slices.Contains(phones(u), v) }
	case "username":
		match = func(u hostileUser) bool { return u.Username != nil && lower(*u.Username) == lower(v) }
	case "external_id", "user_id":
		match = func(u hostileUser) bool {
			field := u.ID
			if param == "external_id" {
				if u.ExternalID == nil {
					return sign == '-'
				}
				field = *u.ExternalID
			}
			return (field == bare) == (sign != '-')
		}
	case "starting_after":
		// No user has such an id, so there is nothing after it.
		match = func(hostileUser) bool { return false }
	default:
		// banned, order_by, limit, offset and the timestamps take no free text.
		return nil, true
	}
	if v == "" {
		match = func(hostileUser) bool { return true }
	}
	for _, u := range users {
		if match(u) {
			ids = append(ids, u.ID)
		}
	}
	return ids, false
}

var hostileFilterParams = []string{
	"email_address", "email_address[]", "phone_number", "username", "external_id", "user_id",
	"query", "email_address_query", "phone_number_query", "username_query", "name_query",
	"order_by", "limit", "offset", "starting_after", "banned",
	"created_at_before", "created_at_after", "last_sign_in_at_before", "last_sign_in_at_after",
	"last_active_at_before", "last_active_at_after", "last_active_at_since",
}

var hostileFilterValues = []string{
	`'`, `"`, `;--`, `%`, `_`, `\`, `' OR '1'='1`, `$1`, "\x00", "a\x00b", `%%`, `\%`, `\_`, `%_`, `_%`,
	`*`, `') OR 1=1 --`, `'; DROP TABLE users; --`, `%' OR '%'='`, `$$`, `E'\\x00'`, `::text`, `/**/`,
	`[]`, `{}`, `(`, "\xff\xfe", "\u202e", "ａ", `O'B`, `back\s`, `50%_`, `%_o`, `1e3`, `-1`, `0x10`,
}

func TestHostileFilters(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	users := hostileFilterUsers(t, env)
	before := hostileSnapshot(t, env, users[0].ID, users[1].ID, users[2].ID, users[3].ID)

	list := func(t *testing.T, q url.Values) (int, []string, []byte) {
		t.Helper()
		if _, ok := q["limit"]; !ok {
			q.Set("limit", "500")
		}
		r := hostileDo(t, env, hostileReq{method: "GET", path: "/users", rawQuery: q.Encode()})
		if r.status != 200 {
			return r.status, nil, r.body
		}
		var out []hostileUser
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatalf("list %s: %v: %s", q.Encode(), err, hostileTrim(r.body))
		}
		ids := []string{}
		for _, u := range out {
			ids = append(ids, u.ID)
		}
		return 200, ids, r.body
	}
	count := func(t *testing.T, q url.Values) (int, int, []byte) {
		t.Helper()
		r := hostileDo(t, env, hostileReq{method: "GET", path: "/users/count", rawQuery: q.Encode()})
		if r.status != 200 {
			return r.status, -1, r.body
		}
		var out struct {
			Object     string `json:"object"`
			TotalCount *int   `json:"total_count"`
		}
		if err := json.Unmarshal(r.body, &out); err != nil || out.Object != "total_count" || out.TotalCount == nil {
			t.Fatalf("count %s: %v: %s", q.Encode(), err, hostileTrim(r.body))
		}
		return 200, *out.TotalCount, r.body
	}
	sameSet := func(got, want []string) bool {
		g, w := slices.Clone(got), slices.Clone(want)
		slices.Sort(g)
		slices.Sort(w)
		return slices.Equal(g, w)
	}
	isPaging := func(p string) bool {
		return p == "order_by" || p == "limit" || p == "offset" || p == "starting_after"
	}

	for _, param := range hostileFilterParams {
		t.Run(param, func(t *testing.T) {
			values := slices.Clone(hostileFilterValues)
			if param == "user_id" || param == "external_id" {
				for _, v := range hostileFilterValues {
					values = append(values, "+"+v, "-"+v)
				}
				real := users[0].ID
				if param == "external_id" {
					real = "ext-alice"
				}
				values = append(values, real, "+"+real, "-"+real, "-"+real+"'", "+"+real+"%")
			}
			for _, v := range values {
				q := url.Values{param: {v}}
				want, invalid := hostileExpect(users, param, v)

				status, got, body := list(t, url.Values{param: {v}})
				switch {
				case status == 422:
					if hostileCode(body) == "" {
						t.Errorf("list %s=%q: 422 without an error code: %s", param, v, hostileTrim(body))
					}
					if p := hostileParam(body); p != strings.TrimSuffix(param, "[]") && p != param {
						t.Errorf("list %s=%q: 422 names param %q", param, v, p)
					}
				case status != 200:
					t.Errorf("list %s=%q: %d %s", param, v, status, hostileTrim(body))
				case invalid:
					t.Errorf("list %s=%q: 200 %s; want 422", param, v, hostileTrim(body))
				case !sameSet(got, want):
					t.Errorf("list %s=%q: got %v, want %v", param, v, got, want)
				}

				cStatus, n, cBody := count(t, q)
				wantCount := len(want)
				if isPaging(param) {
					wantCount, invalid = len(users), false // count ignores paging
				}
				switch {
				case cStatus == 422:
					if p := hostileParam(cBody); p != strings.TrimSuffix(param, "[]") && p != param {
						t.Errorf("count %s=%q: 422 names param %q", param, v, p)
					}
				case cStatus != 200:
					t.Errorf("count %s=%q: %d %s", param, v, cStatus, hostileTrim(cBody))
				case invalid:
					t.Errorf("count %s=%q: 200 %s; want 422", param, v, hostileTrim(cBody))
				case n != wantCount:
					t.Errorf("count %s=%q: %d, want %d", param, v, n, wantCount)
				}
			}
		})
	}

	t.Run("percent and underscore are literal", func(t *testing.T) {
		deal := users[2].ID
		for _, tc := range []struct {
			q    string
			want []string
		}{{"%", []string{deal}}, {"50%_", []string{deal}}, {"%_o", []string{deal}}, {"0%_O", []string{deal}},
			{"5_%", nil}, {"50__", nil}, {"%off", nil}, {`o'b`, []string{users[3].ID}}, {`k\s`, []string{users[3].ID}}} {
			for _, p := range []string{"query", "name_query"} {
				status, got, body := list(t, url.Values{p: {tc.q}})
				if status != 200 || !sameSet(got, tc.want) {
					t.Errorf("%s=%q: %d %v, want %v (%s)", p, tc.q, status, got, tc.want, hostileTrim(body))
				}
				if status, n, _ := count(t, url.Values{p: {tc.q}}); status != 200 || n != len(tc.want) {
					t.Errorf("count %s=%q: %d %d, want %d", p, tc.q, status, n, len(tc.want))
				}
			}
		}
	})

	t.Run("several hostile filters at once", func(t *testing.T) {
		q := url.Values{"query": {"%"}, "email_address": {"' OR '1'='1", "deal@example.net"}, "user_id": {"-'", "+" + users[2].ID},
			"external_id": {"-%"}, "banned": {"true"}, "name_query": {"_"}}
		status, got, body := list(t, q)
		if status != 200 || !sameSet(got, []string{users[2].ID}) {
			t.Fatalf("got %d %v: %s", status, got, hostileTrim(body))
		}
	})

	t.Run("raw query strings", func(t *testing.T) {
		// Characters sent without percent-encoding, as a careless client would.
		all := []string{users[0].ID, users[1].ID, users[2].ID, users[3].ID}
		for _, tc := range []struct {
			raw         string
			status      int
			code, param string
			want        []string
		}{
			{"query=%", 422, "form_param_format_invalid", "query", nil},   // a lone % is not an escape: never "no filter"
			{"query=%zz", 422, "form_param_format_invalid", "query", nil}, // nor is %zz
			{"%zz=1", 400, "malformed_query_string", "", nil},             // nor in a name
			{"query=%00", 422, "form_param_format_invalid", "query", nil},
			{"username=alice%FF", 422, "form_param_format_invalid", "username", nil},
			{"query=50%25_", 200, "", "", []string{users[2].ID}},
			{"query=;--", 200, "", "", nil},   // ';' is an ordinary character, not a separator
			{"query=a;b=c", 200, "", "", nil}, // likewise
			{"query=O'Brien", 200, "", "", []string{users[3].ID}},
			{"user_id=-x;user_id=y", 200, "", "", all}, // excludes the one id "x;user_id=y"
		} {
			r := hostileDo(t, env, hostileReq{method: "GET", path: "/users", rawQuery: tc.raw + "&limit=500"})
			if tc.status != 200 {
				hostileWantError(t, tc.raw, r, tc.status, tc.code, tc.param)
				continue
			}
			var out []hostileUser
			if err := json.Unmarshal(r.body, &out); r.status != 200 || err != nil {
				t.Errorf("%s: %d %s", tc.raw, r.status, hostileTrim(r.body))
				continue
			}
			var ids []string
			for _, u := range out {
				ids = append(ids, u.ID)
			}
			if !sameSet(ids, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.raw, ids, tc.want)
			}
		}
	})

	t.Run("too many values", func(t *testing.T) {
		q := url.Values{}
		for i := 0; i < 101; i++ {
			q.Add("email_address", strconv.Itoa(i)+"'@example.com")
		}
		status, _, body := list(t, q)
		if status != 422 || hostileParam(body) != "email_address" {
			t.Fatalf("got %d %s", status, hostileTrim(body))
		}
	})

	hostileUnchanged(t, env, "filters", before, users[0].ID, users[1].ID, users[2].ID, users[3].ID)
}

func hostileCode(body []byte) string {
	var e apiError
	_ = json.Unmarshal(body, &e)
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

func hostileParam(body []byte) string {
	var e apiError
	_ = json.Unmarshal(body, &e)
	if len(e.Errors) == 0 {
		return ""
	}
	p, _ := e.Errors[0].Meta["param_name"].(string)
	return p
}

func hostileStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
