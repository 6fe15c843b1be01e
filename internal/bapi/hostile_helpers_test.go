package bapi_test

// Hostile requests: oversized, malformed, mistyped or smuggling bodies; SQL
// and LIKE metacharacters in every list filter; look-alike usernames; huge
// passwords; bad credentials; odd ids; and concurrent duplicates. Each must
// get a clear 4xx in Clerk's error envelope (never a 500) and leave the data
// exactly as it was.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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
