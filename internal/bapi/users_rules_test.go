package bapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestListFiltersOrderAndPaging(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	var ids []string
	for i := 0; i < 5; i++ {
		var u userOut
		call(t, env, "POST", "/users", map[string]any{
			"email_address": []string{fmt.Sprintf("user%d@example.com", i)}, "username": fmt.Sprintf("member%d", i),
			"external_id": fmt.Sprintf("ext-%d", i), "first_name": []string{"Grace", "Alan", "Ada", "Edsger", "Barbara"}[i],
		}, &u)
		ids = append(ids, u.ID)
		env.Clock.Advance(time.Second)
	}
	list := func(q string) []string {
		var out []userOut
		if s := call(t, env, "GET", "/users?"+q, nil, &out); s != 200 {
			t.Fatalf("GET /users?%s: %d", q, s)
		}
		got := []string{}
		for _, u := range out {
			got = append(got, u.ID)
		}
		return got
	}
	eq := func(q string, want ...string) {
		t.Helper()
		if got := list(q); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("GET /users?%s = %v, want %v", q, got, want)
		}
	}
	eq("", ids[4], ids[3], ids[2], ids[1], ids[0]) // newest first by default
	eq("order_by=%2Bcreated_at&limit=2", ids[0], ids[1])
	eq("order_by=%2Bcreated_at&limit=2&offset=2", ids[2], ids[3])
	eq("order_by=created_at&limit=2&starting_after="+ids[1], ids[2], ids[3])
	eq("limit=2&starting_after="+ids[3], ids[2], ids[1])
	eq("email_address=USER2@example.com&email_address=user4@example.com", ids[4], ids[2])
	eq("username=Member1", ids[1])
	eq("external_id=ext-3", ids[3])
	eq("external_id=-ext-3&order_by=%2Bcreated_at", ids[0], ids[1], ids[2], ids[4])
	eq("user_id=-"+ids[0]+"&user_id=-"+ids[1]+"&order_by=%2Bcreated_at", ids[2], ids[3], ids[4])
	eq("query=edsg", ids[3])
	eq("query=USER0%40EXAMPLE", ids[0])
	eq("name_query=bar", ids[4])
	eq("order_by=first_name&limit=2", ids[2], ids[1])

	var count struct {
		Object     string `json:"object"`
		TotalCount int64  `json:"total_count"`
	}
	call(t, env, "GET", "/users/count?query=member&limit=1", nil, &count)
	if count.Object != "total_count" || count.TotalCount != 5 {
		t.Fatalf("count: %+v", count)
	}
	var e apiError
	expectError(t, call(t, env, "GET", "/users?order_by=password", nil, &e), e, 422, "form_param_value_invalid", "order_by")
	expectError(t, call(t, env, "GET", "/users?order_by=username&starting_after="+ids[0], nil, &e), e, 422, "form_param_value_invalid", "starting_after")
	expectError(t, call(t, env, "GET", "/users?limit=501", nil, &e), e, 422, "form_param_value_invalid", "limit")
}

func TestMetadataMergeAndReplace(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	var u userOut
	call(t, env, "POST", "/users", map[string]any{"email_address": []string{"m@example.com"},
		"public_metadata": map[string]any{"plan": "pro", "limits": map[string]any{"seats": 5, "projects": 3}}}, &u)
	call(t, env, "PATCH", "/users/"+u.ID+"/metadata", `{"public_metadata":{"limits":{"seats":10,"projects":null}},"private_metadata":{"stripe":"cus_1"}}`, &u)
	want := map[string]any{"plan": "pro", "limits": map[string]any{"seats": float64(10)}}
	if fmt.Sprint(u.PublicMetadata) != fmt.Sprint(want) {
		t.Fatalf("merged public_metadata = %v, want %v", u.PublicMetadata, want)
	}
	var replaced userOut // a fresh value: decoding into u would merge maps client-side
	call(t, env, "PATCH", "/users/"+u.ID, `{"public_metadata":{"only":"this"}}`, &replaced)
	if fmt.Sprint(replaced.PublicMetadata) != fmt.Sprint(map[string]any{"only": "this"}) {
		t.Fatalf("PATCH /users did not replace public_metadata: %v", replaced.PublicMetadata)
	}
	var e apiError
	expectError(t, call(t, env, "PATCH", "/users/"+u.ID+"/metadata", `{"public_metadata":[1]}`, &e), e, 422, "form_param_format_invalid", "public_metadata")
}

func TestImportedBcryptDigestIsUpgradedToArgon2id(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	digest, _ := bcrypt.GenerateFromPassword([]byte("imported-secret-42"), bcrypt.MinCost)
	var u userOut
	if s := call(t, env, "POST", "/users", map[string]any{"email_address": []string{"imp@example.com"},
		"password_digest": string(digest), "password_hasher": "bcrypt"}, &u); s != 200 || !u.PasswordEnabled {
		t.Fatalf("import: %d %+v", s, u)
	}
	var e apiError
	expectError(t, call(t, env, "POST", "/users/"+u.ID+"/verify_password", map[string]string{"password": "wrong-secret"}, &e), e, 422, "password_incorrect")
	hasher := func() string {
		var h string
		if err := env.DB.Pool.QueryRow(context.Background(), `SELECT password_hasher FROM users WHERE id=$1`, u.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if hasher() != "bcrypt" {
		t.Fatal("a failed check changed the digest")
	}
	var ok struct{ Verified bool }
	if s := call(t, env, "POST", "/users/"+u.ID+"/verify_password", map[string]string{"password": "imported-secret-42"}, &ok); s != 200 || !ok.Verified {
		t.Fatalf("verify: %d %+v", s, ok)
	}
	if hasher() != "argon2id" {
		t.Fatal("the imported digest was not upgraded to argon2id after a successful check")
	}
	if s := call(t, env, "POST", "/users/"+u.ID+"/verify_password", map[string]string{"password": "imported-secret-42"}, &ok); s != 200 || !ok.Verified {
		t.Fatal("the upgraded hash does not verify")
	}
	expectError(t, call(t, env, "POST", "/users", map[string]any{"email_address": []string{"x@example.com"},
		"password_digest": "nonsense", "password_hasher": "bcrypt"}, &e), e, 422, "form_password_digest_invalid", "password_digest")
	expectError(t, call(t, env, "POST", "/users", map[string]any{"email_address": []string{"x@example.com"},
		"password_digest": "abc", "password_hasher": "rot13"}, &e), e, 422, "form_param_value_invalid", "password_hasher")
	expectError(t, call(t, env, "POST", "/users", map[string]any{"email_address": []string{"x@example.com"},
		"password": "password123"}, &e), e, 422, "form_password_pwned", "password")
	expectError(t, call(t, env, "POST", "/users", map[string]any{"email_address": []string{"x@example.com"},
		"password": "short"}, &e), e, 422, "form_password_length_too_short", "password")
}

func TestLockoutExpiresWithTheClock(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	var u struct {
		ID                      string `json:"id"`
		Locked                  bool   `json:"locked"`
		LockoutExpiresInSeconds *int64 `json:"lockout_expires_in_seconds"`
		AttemptsRemaining       *int64 `json:"verification_attempts_remaining"`
	}
	call(t, env, "POST", "/users", map[string]any{"email_address": []string{"l@example.com"}}, &u)
	// An automatic lockout, as failed sign-ins will set it.
	until := env.Clock.Now().Add(time.Hour)
	if _, err := env.DB.Pool.Exec(context.Background(), `UPDATE users SET lockout_until=$2, failed_verification_attempts=100 WHERE id=$1`, u.ID, until); err != nil {
		t.Fatal(err)
	}
	call(t, env, "GET", "/users/"+u.ID, nil, &u)
	if !u.Locked || u.LockoutExpiresInSeconds == nil || *u.LockoutExpiresInSeconds != 3600 || *u.AttemptsRemaining != 0 {
		t.Fatalf("locked user: %+v", u)
	}
	env.Clock.Advance(time.Hour + time.Second)
	call(t, env, "GET", "/users/"+u.ID, nil, &u)
	if u.Locked || u.LockoutExpiresInSeconds != nil {
		t.Fatalf("lockout did not expire: %+v", u)
	}
	call(t, env, "POST", "/users/"+u.ID+"/lock", nil, &u)
	if !u.Locked || u.LockoutExpiresInSeconds != nil {
		t.Fatalf("operator lock: %+v", u)
	}
	env.Clock.Advance(100 * time.Hour)
	call(t, env, "GET", "/users/"+u.ID, nil, &u)
	if !u.Locked {
		t.Fatal("an operator lock expired by itself")
	}
	call(t, env, "POST", "/users/"+u.ID+"/unlock", nil, &u)
	if u.Locked || *u.AttemptsRemaining != 100 {
		t.Fatalf("unlock: %+v", u)
	}
}

func TestCreatedAtImportIsHonoured(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t)
	var u struct {
		ID        string `json:"id"`
		CreatedAt int64  `json:"created_at"`
	}
	call(t, env, "POST", "/users", map[string]any{"email_address": []string{"old@example.com"}, "created_at": "2012-10-20T07:15:20.902Z"}, &u)
	if u.CreatedAt != 1350717320902 {
		t.Fatalf("created_at = %d", u.CreatedAt)
	}
}
