package bapi_test

// Hostile requests: oversized, malformed, mistyped or smuggling bodies; SQL
// and LIKE metacharacters in every list filter; look-alike usernames; huge
// passwords; bad credentials; odd ids; and concurrent duplicates. Each must
// get a clear 4xx in Clerk's error envelope (never a 500) and leave the data
// exactly as it was.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testserver"
)

// hostileResp is a raw answer.
type hostileResp struct {
	status int
	header http.Header
	body   []byte
	dur    time.Duration
}

// hostileReq describes a request precisely: the body is sent byte for byte.
type hostileReq struct {
	method, path string
	body         []byte
	ctype        string // "" means application/json when there is a body; "-" means none
	chunked      bool   // hide the length, so only the streaming limit can catch a big body
	auth         *string
	rawQuery     string
}

func hostileDo(t *testing.T, env *testserver.Env, hr hostileReq) hostileResp {
	t.Helper()
	r, err := hostileSend(env, hr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// hostileSend is hostileDo for goroutines other than the test's.
func hostileSend(env *testserver.Env, hr hostileReq) (hostileResp, error) {
	var rd io.Reader
	if hr.body != nil {
		rd = bytes.NewReader(hr.body)
		if hr.chunked {
			rd = io.MultiReader(rd) // not a type http.NewRequest can measure
		}
	}
	u := env.AdminURL + "/v1" + hr.path
	if hr.rawQuery != "" {
		u += "?" + hr.rawQuery
	}
	req, err := http.NewRequest(hr.method, u, rd)
	if err != nil {
		return hostileResp{}, err
	}
	if hr.auth != nil {
		if *hr.auth != "\x00absent" {
			req.Header["Authorization"] = []string{*hr.auth}
		}
	} else {
		req.Header.Set("Authorization", "Bearer "+env.SecretKey)
	}
	switch {
	case hr.ctype == "-":
	case hr.ctype != "":
		req.Header.Set("Content-Type", hr.ctype)
	case hr.body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return hostileResp{}, fmt.Errorf("%s %s: %w", hr.method, hostileTrim([]byte(hr.path)), err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return hostileResp{}, fmt.Errorf("%s %s: read: %w", hr.method, hostileTrim([]byte(hr.path)), err)
	}
	return hostileResp{status: res.StatusCode, header: res.Header, body: raw, dur: time.Since(start)}, nil
}

func hostileJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// hostileWantError asserts a complete Clerk error envelope with the given
// status and first code, and param_name when param is not empty.
func hostileWantError(t *testing.T, what string, r hostileResp, status int, code, param string) {
	t.Helper()
	if r.status >= 500 {
		t.Fatalf("%s: server error %d: %s", what, r.status, hostileTrim(r.body))
	}
	var e apiError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("%s: %d, not a JSON error envelope: %s", what, r.status, hostileTrim(r.body))
	}
	if r.status != status || len(e.Errors) == 0 || e.Errors[0].Code != code {
		t.Fatalf("%s: got %d %s; want %d %s", what, r.status, hostileTrim(r.body), status, code)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q", what, ct)
	}
	first := e.Errors[0]
	if first.Message == "" || first.LongMessage == "" {
		t.Fatalf("%s: envelope lacks a message: %s", what, hostileTrim(r.body))
	}
	if param != "" {
		if got, _ := first.Meta["param_name"].(string); got != param {
			t.Fatalf("%s: param_name = %q, want %q (%s)", what, got, param, hostileTrim(r.body))
		}
	}
}

func hostileTrim(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "..."
	}
	return string(b)
}

// hostileSnapshot captures what hostile requests must not change: each
// given user as GET /v1/users/{id} shows it, the user count, and the whole
// user list.
func hostileSnapshot(t *testing.T, env *testserver.Env, userIDs ...string) string {
	t.Helper()
	var b strings.Builder
	for _, id := range userIDs {
		r := hostileDo(t, env, hostileReq{method: "GET", path: "/users/" + id})
		if r.status != 200 {
			t.Fatalf("snapshot: GET user %s: %d %s", id, r.status, hostileTrim(r.body))
		}
		b.Write(r.body)
		b.WriteByte('\n')
	}
	for _, p := range []string{"/users/count", "/users?limit=500&order_by=created_at"} {
		r := hostileDo(t, env, hostileReq{method: "GET", path: p})
		if r.status != 200 {
			t.Fatalf("snapshot: GET %s: %d %s", p, r.status, hostileTrim(r.body))
		}
		b.Write(r.body)
		b.WriteByte('\n')
	}
	return b.String()
}

// hostileUnchanged reports a change and returns the state now, so that one
// case that changes the data does not make every later case fail too.
func hostileUnchanged(t *testing.T, env *testserver.Env, what, before string, userIDs ...string) string {
	t.Helper()
	after := hostileSnapshot(t, env, userIDs...)
	if after != before {
		t.Errorf("%s changed the data:\nbefore: %s\nafter:  %s", what, hostileTrim([]byte(before)), hostileTrim([]byte(after)))
	}
	return after
}

// hostileUser is the part of a user the tests look at.
type hostileUser struct {
	ID             string  `json:"id"`
	ExternalID     *string `json:"external_id"`
	Username       *string `json:"username"`
	FirstName      *string `json:"first_name"`
	LastName       *string `json:"last_name"`
	EmailAddresses []struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
	} `json:"email_addresses"`
	PhoneNumbers []struct {
		ID          string `json:"id"`
		PhoneNumber string `json:"phone_number"`
	} `json:"phone_numbers"`
}

func hostileCreate(t *testing.T, env *testserver.Env, body map[string]any) hostileUser {
	t.Helper()
	var u hostileUser
	if status := call(t, env, "POST", "/users", body, &u); status != 200 || u.ID == "" {
		t.Fatalf("create %v: %d %+v", body, status, u)
	}
	return u
}

func hostileStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestHostileBodies(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	victim := hostileCreate(t, env, map[string]any{
		"email_address": []string{"victim@example.com"}, "phone_number": []string{"+15555550100"},
		"username": "victim", "first_name": "Vic", "last_name": "Tim", "external_id": "ext-victim",
		"password": "correct-horse-battery-staple-9", "public_metadata": map[string]any{"plan": "pro"},
	})
	before := hostileSnapshot(t, env, victim.ID)
	user := "/users/" + victim.ID

	big := func(n int) []byte { return []byte(`{"first_name":"` + strings.Repeat("a", n) + `"}`) }
	padded := append(append([]byte(`{"first_name":"x"`), bytes.Repeat([]byte(" "), 2<<20)...), '}')
	create := func(extra string) []byte {
		return []byte(`{"email_address":["fresh@example.com"]` + extra + `}`)
	}
	cases := []struct {
		name         string
		method, path string
		body         []byte
		ctype        string
		chunked      bool
		status       int
		code, param  string
	}{
		// Over the 1 MiB limit, with and without a Content-Length.
		{"create 2MiB", "POST", "/users", big(2 << 20), "", false, 413, "request_body_too_large", ""},
		{"create 2MiB chunked", "POST", "/users", big(2 << 20), "", true, 413, "request_body_too_large", ""},
		{"update 2MiB", "PATCH", user, big(2 << 20), "", false, 413, "request_body_too_large", ""},
		{"update 2MiB chunked", "PATCH", user, big(2 << 20), "", true, 413, "request_body_too_large", ""},
		{"update 2MiB of whitespace", "PATCH", user, padded, "", true, 413, "request_body_too_large", ""},
		{"metadata 2MiB", "PATCH", user + "/metadata", big(2 << 20), "", false, 413, "request_body_too_large", ""},
		{"add email 2MiB chunked", "POST", "/email_addresses", big(2 << 20), "", true, 413, "request_body_too_large", ""},

		// Not one JSON object.
		{"truncated", "POST", "/users", []byte(`{"email_address":["a@example.com"]`), "", false, 400, "malformed_request_body", ""},
		{"truncated patch", "PATCH", user, []byte(`{"first_name":`), "", false, 400, "malformed_request_body", ""},
		{"not JSON", "PATCH", user, []byte(`first_name=Eve`), "", false, 400, "malformed_request_body", ""},
		{"array", "POST", "/users", []byte(`[{"email_address":["a@example.com"]}]`), "", false, 400, "malformed_request_body", ""},
		{"array patch", "PATCH", user, []byte(`[{"first_name":"Eve"}]`), "", false, 400, "malformed_request_body", ""},
		{"string", "PATCH", user, []byte(`"first_name"`), "", false, 400, "malformed_request_body", ""},
		{"null", "PATCH", user, []byte(`null`), "", false, 400, "malformed_request_body", ""},
		{"number", "PATCH", user, []byte(`42`), "", false, 400, "malformed_request_body", ""},
		{"trailing garbage", "PATCH", user, []byte(`{"first_name":"Eve"} garbage`), "", false, 400, "malformed_request_body", ""},
		{"two objects", "PATCH", user, []byte(`{"first_name":"Eve"}{"last_name":"Vil"}`), "", false, 400, "malformed_request_body", ""},
		{"trailing comma", "PATCH", user, []byte(`{"first_name":"Eve",}`), "", false, 400, "malformed_request_body", ""},
		{"single quotes", "PATCH", user, []byte(`{'first_name':'Eve'}`), "", false, 400, "malformed_request_body", ""},
		{"comment", "PATCH", user, []byte(`{"first_name":"Eve" /* hi */}`), "", false, 400, "malformed_request_body", ""},
		{"NaN", "PATCH", user, []byte(`{"create_organizations_limit":NaN}`), "", false, 400, "malformed_request_body", ""},
		{"bad escape", "PATCH", user, []byte(`{"first_name":"\x"}`), "", false, 400, "malformed_request_body", ""},
		{"raw control char", "PATCH", user, []byte("{\"first_name\":\"a\x01b\"}"), "", false, 400, "malformed_request_body", ""},
		{"deep nesting", "PATCH", user, []byte(`{"public_metadata":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`), "", false, 400, "malformed_request_body", ""},
		{"trailing garbage create", "POST", "/users", create(`} x`), "", false, 400, "malformed_request_body", ""},
		{"trailing garbage email", "POST", "/email_addresses", []byte(`{"user_id":"` + victim.ID + `","email_address":"second@example.com"}]`), "", false, 400, "malformed_request_body", ""},

		// Wrong types name the field.
		{"email_address as string", "POST", "/users", []byte(`{"email_address":"fresh@example.com"}`), "", false, 422, "form_param_format_invalid", "email_address"},
		{"email_address items as numbers", "POST", "/users", []byte(`{"email_address":[1,2]}`), "", false, 422, "form_param_format_invalid", "email_address"},
		{"first_name as number (create)", "POST", "/users", create(`,"first_name":42`), "", false, 422, "form_param_format_invalid", "first_name"},
		{"first_name as number (update)", "PATCH", user, []byte(`{"first_name":42}`), "", false, 422, "form_param_format_invalid", "first_name"},
		{"first_name as object (update)", "PATCH", user, []byte(`{"first_name":{"$ne":null}}`), "", false, 422, "form_param_format_invalid", "first_name"},
		{"username as array (update)", "PATCH", user, []byte(`{"username":["victim2"]}`), "", false, 422, "form_param_format_invalid", "username"},
		{"external_id as number (update)", "PATCH", user, []byte(`{"external_id":1}`), "", false, 422, "form_param_format_invalid", "external_id"},
		{"password as bool", "POST", "/users", create(`,"password":true`), "", false, 422, "form_param_format_invalid", "password"},
		{"password as number (update)", "PATCH", user, []byte(`{"password":12345678}`), "", false, 422, "form_param_format_invalid", "password"},
		{"banned as string", "POST", "/users", create(`,"banned":"yes"`), "", false, 422, "form_param_format_invalid", "banned"},
		{"org limit overflow", "POST", "/users", create(`,"create_organizations_limit":99999999999999999999`), "", false, 422, "form_param_format_invalid", "create_organizations_limit"},
		{"org limit as string (update)", "PATCH", user, []byte(`{"create_organizations_limit":"5"}`), "", false, 422, "form_param_format_invalid", "create_organizations_limit"},
		{"org limit fraction (update)", "PATCH", user, []byte(`{"create_organizations_limit":1.5}`), "", false, 422, "form_param_format_invalid", "create_organizations_limit"},
		{"metadata as string", "POST", "/users", create(`,"public_metadata":"{}"`), "", false, 422, "form_param_format_invalid", "public_metadata"},
		{"metadata as array (update)", "PATCH", user, []byte(`{"private_metadata":[1]}`), "", false, 422, "form_param_format_invalid", "private_metadata"},
		{"metadata merge as string", "PATCH", user + "/metadata", []byte(`{"unsafe_metadata":"x"}`), "", false, 422, "form_param_format_invalid", "unsafe_metadata"},
		{"verify password as number", "POST", user + "/verify_password", []byte(`{"password":12345678}`), "", false, 422, "form_param_format_invalid", "password"},
		{"email user_id as number", "POST", "/email_addresses", []byte(`{"user_id":5,"email_address":"second@example.com"}`), "", false, 422, "form_param_format_invalid", "user_id"},
		{"email verified as string", "POST", "/email_addresses", []byte(`{"user_id":"` + victim.ID + `","email_address":"second@example.com","verified":"true"}`), "", false, 422, "form_param_format_invalid", "verified"},

		// Unknown fields, including ones that differ from a real one only in case
		// or that repeat one (which a proxy and the server could read differently).
		{"unknown field", "POST", "/users", create(`,"first_nam":"Eve"`), "", false, 422, "form_param_unknown", "first_nam"},
		{"unknown field (update)", "PATCH", user, []byte(`{"is_admin":true}`), "", false, 422, "form_param_unknown", "is_admin"},
		{"unknown field (metadata)", "PATCH", user + "/metadata", []byte(`{"metadata":{}}`), "", false, 422, "form_param_unknown", "metadata"},
		{"unknown field (verify)", "POST", user + "/verify_password", []byte(`{"password":"x","strategy":"none"}`), "", false, 422, "form_param_unknown", "strategy"},
		{"unknown field (email)", "POST", "/email_addresses", []byte(`{"user_id":"` + victim.ID + `","email_address":"second@example.com","id":"idn_x"}`), "", false, 422, "form_param_unknown", "id"},
		{"field in other case", "PATCH", user, []byte(`{"First_Name":"Eve"}`), "", false, 422, "form_param_unknown", "First_Name"},
		{"field in upper case", "POST", "/users", []byte(`{"EMAIL_ADDRESS":["fresh@example.com"]}`), "", false, 422, "form_param_unknown", "EMAIL_ADDRESS"},
		{"repeated field", "PATCH", user, []byte(`{"first_name":"Eve","first_name":"Mallory"}`), "", false, 400, "malformed_request_body", "first_name"},
		{"repeated field in other case", "PATCH", user, []byte(`{"password":"aaaaaaaaaaaaaaaa1","PASSWORD":"bbbbbbbbbbbbbbbb2"}`), "", false, 422, "form_param_unknown", "PASSWORD"},

		// Content types other than JSON.
		{"text/plain", "PATCH", user, []byte(`{"first_name":"Eve"}`), "text/plain", false, 400, "unsupported_content_type", ""},
		{"form", "PATCH", user, []byte(`first_name=Eve`), "application/x-www-form-urlencoded", false, 400, "unsupported_content_type", ""},
		{"multipart", "POST", "/users", []byte("--x\r\nContent-Disposition: form-data; name=\"email_address\"\r\n\r\na@example.com\r\n--x--\r\n"), "multipart/form-data; boundary=x", false, 400, "unsupported_content_type", ""},
		{"json look-alike", "PATCH", user, []byte(`{"first_name":"Eve"}`), "application/jsonp", false, 400, "unsupported_content_type", ""},
		{"xml", "POST", "/users", []byte(`<user/>`), "application/xml", false, 400, "unsupported_content_type", ""},
		{"garbage type", "PATCH", user, []byte(`{"first_name":"Eve"}`), ";;;/", false, 400, "unsupported_content_type", ""},
		{"text/plain email", "POST", "/email_addresses", []byte(`{"user_id":"` + victim.ID + `","email_address":"second@example.com"}`), "text/plain", false, 400, "unsupported_content_type", ""},

		// NUL bytes, which JSON allows as \u0000 but Postgres text cannot hold.
		{"NUL in first_name", "PATCH", user, []byte(`{"first_name":"Eve\u0000"}`), "", false, 422, "form_param_format_invalid", "first_name"},
		{"NUL in locale", "PATCH", user, []byte(`{"locale":"en\u0000"}`), "", false, 422, "form_param_format_invalid", "locale"},
		{"NUL in external_id", "PATCH", user, []byte(`{"external_id":"\u0000"}`), "", false, 422, "form_param_format_invalid", "external_id"},
		{"NUL in username", "PATCH", user, []byte(`{"username":"vic\u0000tim"}`), "", false, 422, "form_username_invalid_character", "username"},
		{"NUL in email", "POST", "/users", []byte(`{"email_address":["fre\u0000sh@example.com"]}`), "", false, 422, "form_param_format_invalid", "email_address"},
		{"NUL in created_at", "POST", "/users", create(`,"created_at":"2020-01-01T00:00:00Z\u0000"`), "", false, 422, "form_param_format_invalid", "created_at"},
		{"NUL in metadata value", "POST", "/users", create(`,"public_metadata":{"k":"a\u0000b"}`), "", false, 422, "form_param_format_invalid", "public_metadata"},
		{"NUL in metadata key (update)", "PATCH", user, []byte(`{"private_metadata":{"\u0000":1}}`), "", false, 422, "form_param_format_invalid", "private_metadata"},
		{"NUL deep in metadata merge", "PATCH", user + "/metadata", []byte(`{"unsafe_metadata":{"a":[{"b":"\u0000"}]}}`), "", false, 422, "form_param_format_invalid", "unsafe_metadata"},
		{"NUL in email user_id", "POST", "/email_addresses", []byte(`{"user_id":"` + victim.ID + `\u0000","email_address":"second@example.com"}`), "", false, 404, "resource_not_found", ""},
		{"NUL in phone", "POST", "/phone_numbers", []byte(`{"user_id":"` + victim.ID + `","phone_number":"+1555555\u00000199"}`), "", false, 422, "form_param_format_invalid", "phone_number"},
		{"NUL in md5 digest", "POST", "/users", create(`,"password_hasher":"md5","password_digest":"5f4dcc3b5aa765d61d8327deb882cf9\u0000"`), "", false, 422, "form_password_digest_invalid", "password_digest"},
		{"NUL in bcrypt digest", "POST", "/users", create(`,"password_hasher":"bcrypt","password_digest":"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW\u0000"`), "", false, 422, "form_password_digest_invalid", "password_digest"},
		{"NUL in argon2id digest", "POST", "/users", create(`,"password_hasher":"argon2id","password_digest":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$\u0000"`), "", false, 422, "form_password_digest_invalid", "password_digest"},
		{"NUL in primary email id", "PATCH", user, []byte(`{"primary_email_address_id":"\u0000"}`), "", false, 422, "form_param_value_invalid", "primary_email_address_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := hostileDo(t, env, hostileReq{method: tc.method, path: tc.path, body: tc.body, ctype: tc.ctype, chunked: tc.chunked})
			hostileWantError(t, tc.name, r, tc.status, tc.code, tc.param)
			before = hostileUnchanged(t, env, tc.name, before, victim.ID)
		})
	}
}

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

// hostileQueueSlack is how many queued hashes a request that never hashes
// may see complete while it is served.
const hostileQueueSlack = 8

type hostilePressure struct {
	mu       sync.Mutex
	finished []time.Time
	quit     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
}

// hostileHashPressure runs workers that each send wrong passwords to
// verify_password in a loop, so that many hashes are always waiting.
func hostileHashPressure(t *testing.T, env *testserver.Env, userID string, workers int) *hostilePressure {
	p := &hostilePressure{quit: make(chan struct{})}
	for w := range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-p.quit:
					return
				default:
				}
				r, err := hostileSend(env, hostileReq{method: "POST", path: "/users/" + userID + "/verify_password",
					body: []byte(fmt.Sprintf(`{"password":"wrong-horse-battery-staple-%d-%d"}`, w, i))})
				if err != nil || r.status != 422 {
					t.Errorf("queued hash: %v %d %s", err, r.status, hostileTrim(r.body))
					return
				}
				p.mu.Lock()
				p.finished = append(p.finished, time.Now())
				p.mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the queue form
	return p
}

func (p *hostilePressure) completedBetween(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, at := range p.finished {
		if at.After(from) && at.Before(to) {
			n++
		}
	}
	return n
}

func (p *hostilePressure) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

func TestHostilePasswords(t *testing.T) {
	t.Parallel()
	// One hash at a time, so a queue of hashes is easy to build and to see.
	env := testserver.Start(t, func(c *config.Config) { c.Users.PasswordHashConcurrency = 1 })
	const good = "correct-horse-battery-staple-9"
	victim := hostileCreate(t, env, map[string]any{"email_address": []string{"victim@example.com"}, "password": good})
	before := hostileSnapshot(t, env, victim.ID)
	// Keep the pool's queue full of wrong-password checks: a request that
	// hashes must wait for the queue ahead of it, one that does not need not.
	pressure := hostileHashPressure(t, env, victim.ID, 2*hostileQueueSlack)
	defer pressure.stop()

	huge := strings.Repeat("p", 900<<10)
	cases := []struct {
		name, method, path string
		body               map[string]any
		code               string
	}{
		{"create 900KB", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": huge}, "form_password_length_too_long"},
		{"create 900KB skip checks", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": huge, "skip_password_checks": true}, "form_password_length_too_long"},
		{"create 257 bytes", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": strings.Repeat("x", 257)}, "form_password_length_too_long"},
		{"create 129 two-byte chars", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password": strings.Repeat("é", 129)}, "form_password_length_too_long"},
		{"update 900KB", "PATCH", "/users/" + victim.ID, map[string]any{"password": huge}, "form_password_length_too_long"},
		{"update 900KB skip checks", "PATCH", "/users/" + victim.ID, map[string]any{"password": huge, "skip_password_checks": true, "sign_out_of_other_sessions": true}, "form_password_length_too_long"},
		{"verify 900KB", "POST", "/users/" + victim.ID + "/verify_password", map[string]any{"password": huge}, "password_incorrect"},
		{"verify 900KB, correct prefix", "POST", "/users/" + victim.ID + "/verify_password", map[string]any{"password": good + huge}, "password_incorrect"},
		{"import 900KB digest", "POST", "/users", map[string]any{"email_address": []string{"new@example.com"}, "password_hasher": "bcrypt", "password_digest": "$2a$10$" + huge}, "form_password_digest_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := hostileJSON(t, tc.body)
			if len(body) >= 1<<20 {
				t.Fatalf("body of %d bytes is over the limit", len(body))
			}
			param := "password"
			if tc.code == "form_password_digest_invalid" {
				param = "password_digest"
			}
			sent := time.Now()
			r := hostileDo(t, env, hostileReq{method: tc.method, path: tc.path, body: body})
			ahead := pressure.completedBetween(sent, time.Now())
			hostileWantError(t, tc.name, r, 422, tc.code, param)
			t.Logf("answered in %v, while %d queued hashes completed", r.dur, ahead)
			if ahead > hostileQueueSlack {
				t.Errorf("%s waited for %d queued hashes (%v): was it hashed?", tc.name, ahead, r.dur)
			}
			before = hostileUnchanged(t, env, tc.name, before, victim.ID)
		})
	}

	t.Run("the queue check can fail", func(t *testing.T) {
		// The same measurement on a request that is hashed: it must wait.
		sent := time.Now()
		r := hostileDo(t, env, hostileReq{method: "POST", path: "/users/" + victim.ID + "/verify_password",
			body: []byte(`{"password":"` + strings.Repeat("q", 256) + `"}`)})
		ahead := pressure.completedBetween(sent, time.Now())
		t.Logf("answered in %v, while %d queued hashes completed", r.dur, ahead)
		if r.status != 422 || ahead <= hostileQueueSlack {
			t.Fatalf("a 256-byte password (hashed) answered %d after waiting for only %d queued hashes", r.status, ahead)
		}
	})
	pressure.stop()

	t.Run("the right password still verifies", func(t *testing.T) {
		r := hostileDo(t, env, hostileReq{method: "POST", path: "/users/" + victim.ID + "/verify_password",
			body: hostileJSON(t, map[string]string{"password": good})})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, hostileTrim(r.body))
		}
	})
}

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

// hostileRace sends n requests at once and returns their statuses and bodies.
func hostileRace(t *testing.T, env *testserver.Env, n int, req func(i int) hostileReq) []hostileResp {
	t.Helper()
	reqs := make([]hostileReq, n)
	for i := range reqs {
		reqs[i] = req(i)
	}
	out := make([]hostileResp, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = hostileSend(env, reqs[i])
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// hostileOneWinner asserts exactly one 200 and that every other answer is
// form_identifier_exists on param.
func hostileOneWinner(t *testing.T, res []hostileResp, param string) int {
	t.Helper()
	winner := -1
	for i, r := range res {
		if r.status == 200 {
			if winner >= 0 {
				t.Fatalf("two requests succeeded: %s and %s", hostileTrim(res[winner].body), hostileTrim(r.body))
			}
			winner = i
			continue
		}
		hostileWantError(t, fmt.Sprintf("request %d", i), r, 422, "form_identifier_exists", param)
	}
	if winner < 0 {
		t.Fatalf("no request succeeded: %s", hostileTrim(res[0].body))
	}
	return winner
}

func hostileCount(t *testing.T, env *testserver.Env, q url.Values) int {
	t.Helper()
	var out struct {
		TotalCount int `json:"total_count"`
	}
	if status := call(t, env, "GET", "/users/count?"+q.Encode(), nil, &out); status != 200 {
		t.Fatalf("count %s: %d", q.Encode(), status)
	}
	return out.TotalCount
}

func TestHostileRaces(t *testing.T) {
	t.Parallel()
	const n = 20

	t.Run("same email", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		cases := []string{"race@example.com", "Race@Example.com", "RACE@EXAMPLE.COM", " race@example.com "}
		res := hostileRace(t, env, n, func(i int) hostileReq {
			return hostileReq{method: "POST", path: "/users", body: hostileJSON(t, map[string]any{
				"email_address": []string{cases[i%len(cases)]}, "first_name": "Racer " + strconv.Itoa(i)})}
		})
		hostileOneWinner(t, res, "email_address")
		if c := hostileCount(t, env, url.Values{"email_address": {"race@example.com"}}); c != 1 {
			t.Fatalf("%d users have the email", c)
		}
		if c := hostileCount(t, env, nil); c != 1 {
			t.Fatalf("%d users exist; the losers left users behind", c)
		}
	})

	t.Run("same username differing in case", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		res := hostileRace(t, env, n, func(i int) hostileReq {
			name := []byte("racer_x")
			for j := range name {
				if i>>j&1 == 1 && name[j] >= 'a' && name[j] <= 'z' {
					name[j] -= 'a' - 'A'
				}
			}
			return hostileReq{method: "POST", path: "/users", body: hostileJSON(t, map[string]any{
				"email_address": []string{fmt.Sprintf("racer%d@example.com", i)}, "username": string(name)})}
		})
		hostileOneWinner(t, res, "username")
		if c := hostileCount(t, env, url.Values{"username": {"RACER_X"}}); c != 1 {
			t.Fatalf("%d users have the username", c)
		}
		if c := hostileCount(t, env, nil); c != 1 {
			t.Fatalf("%d users exist; the losers left users behind", c)
		}
	})

	t.Run("same external_id", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		res := hostileRace(t, env, n, func(i int) hostileReq {
			return hostileReq{method: "POST", path: "/users", body: hostileJSON(t, map[string]any{
				"email_address": []string{fmt.Sprintf("racer%d@example.com", i)}, "external_id": "ext-race"})}
		})
		hostileOneWinner(t, res, "external_id")
		if c := hostileCount(t, env, url.Values{"external_id": {"ext-race"}}); c != 1 {
			t.Fatalf("%d users have the external id", c)
		}
	})

	t.Run("same email added to two users", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		a := hostileCreate(t, env, map[string]any{"email_address": []string{"a@example.com"}})
		b := hostileCreate(t, env, map[string]any{"email_address": []string{"b@example.com"}})
		res := hostileRace(t, env, n, func(i int) hostileReq {
			uid := a.ID
			if i%2 == 1 {
				uid = b.ID
			}
			addr := "shared@example.com"
			if i%3 == 0 {
				addr = "Shared@Example.COM"
			}
			return hostileReq{method: "POST", path: "/email_addresses", body: hostileJSON(t, map[string]any{
				"user_id": uid, "email_address": addr, "verified": true})}
		})
		hostileOneWinner(t, res, "email_address")
		if c := hostileCount(t, env, url.Values{"email_address": {"shared@example.com"}}); c != 1 {
			t.Fatalf("%d users have the email", c)
		}
		total := 0
		for _, u := range []hostileUser{a, b} {
			var got hostileUser
			call(t, env, "GET", "/users/"+u.ID, nil, &got)
			total += len(got.EmailAddresses)
		}
		if total != 3 {
			t.Fatalf("%d email addresses across both users, want 3", total)
		}
	})

	t.Run("same username set on two users", func(t *testing.T) {
		t.Parallel()
		env := testserver.Start(t)
		a := hostileCreate(t, env, map[string]any{"email_address": []string{"a@example.com"}})
		b := hostileCreate(t, env, map[string]any{"email_address": []string{"b@example.com"}})
		res := hostileRace(t, env, n, func(i int) hostileReq {
			uid := a.ID
			if i%2 == 1 {
				uid = b.ID
			}
			return hostileReq{method: "PATCH", path: "/users/" + uid, body: hostileJSON(t, map[string]any{
				"username": []string{"taken_name", "Taken_Name"}[i%2]})}
		})
		// The same user may set the name more than once; only one user may hold it.
		owners := map[string]bool{}
		for i, r := range res {
			if r.status == 200 {
				var u hostileUser
				_ = json.Unmarshal(r.body, &u)
				owners[u.ID] = true
				continue
			}
			hostileWantError(t, fmt.Sprintf("request %d", i), r, 422, "form_identifier_exists", "username")
		}
		if len(owners) != 1 {
			t.Fatalf("username given to %d users", len(owners))
		}
		if c := hostileCount(t, env, url.Values{"username": {"taken_name"}}); c != 1 {
			t.Fatalf("%d users have the username", c)
		}
	})
}
