package bapi_test

// Compatibility tests: drive the running server with Clerk's own Go SDK
// (github.com/clerk/clerk-sdk-go/v2) and assert on the SDK's typed results,
// so any field the SDK cannot decode, or any behaviour that differs from
// Clerk's, shows up here the way it would in a customer's application.

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/latchkey/latchkey/internal/testserver"
)

// sdk holds SDK clients bound to one test server; never the SDK's global key.
type sdk struct {
	users  *user.Client
	emails *emailaddress.Client
	phones *phonenumber.Client
	jwks   *jwks.Client
}

func newSDK(env *testserver.Env, key string) sdk {
	config := &clerk.ClientConfig{}
	config.Key = clerk.String(key)
	config.URL = clerk.String(env.AdminURL + "/v1")
	// Password hashing under -race can exceed the SDK's default 5s timeout.
	config.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	return sdk{
		users:  user.NewClient(config),
		emails: emailaddress.NewClient(config),
		phones: phonenumber.NewClient(config),
		jwks:   jwks.NewClient(config),
	}
}

func startSDK(t *testing.T) (*testserver.Env, sdk) {
	t.Helper()
	env := testserver.Start(t)
	return env, newSDK(env, env.SecretKey)
}

// result holds an SDK call's outcome; res(c.users.Get(ctx, id)).must(t)
// fails the test on an error, showing it (for API errors, Clerk's envelope).
type result[T any] struct {
	v   T
	err error
}

func res[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

// wantAPIError asserts err is an *clerk.APIErrorResponse with the status,
// first error code and, if given, meta.param_name.
func wantAPIError(t *testing.T, err error, status int, code string, param ...string) {
	t.Helper()
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want *clerk.APIErrorResponse %d %s", err, err, status, code)
	}
	if apiErr.HTTPStatusCode != status || len(apiErr.Errors) == 0 || apiErr.Errors[0].Code != code {
		t.Fatalf("error = %s, want %d %s", apiErr.Error(), status, code)
	}
	if apiErr.Errors[0].Message == "" || apiErr.Errors[0].LongMessage == "" {
		t.Errorf("error %s lacks message or long_message", apiErr.Error())
	}
	if apiErr.TraceID == "" {
		t.Errorf("error %s lacks clerk_trace_id", apiErr.Error())
	}
	if len(param) > 0 {
		var meta struct {
			ParamName string `json:"param_name"`
		}
		if err := json.Unmarshal(apiErr.Errors[0].Meta, &meta); err != nil || meta.ParamName != param[0] {
			t.Fatalf("meta = %s, want param_name %q", apiErr.Errors[0].Meta, param[0])
		}
	}
}

func raw(s string) *json.RawMessage { return clerk.JSONRawMessage(json.RawMessage(s)) }

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func userIDs(users []*clerk.User) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		out = append(out, u.ID)
	}
	return out
}

func emailByID(u *clerk.User, id string) *clerk.EmailAddress {
	for _, e := range u.EmailAddresses {
		if e.ID == id {
			return e
		}
	}
	return nil
}
