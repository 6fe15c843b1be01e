package bapi_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

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
