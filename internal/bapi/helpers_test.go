package bapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// call sends a Backend API request with the env's secret key and decodes the
// JSON answer into out (if non-nil). It returns the status code.
func call(t *testing.T, env *testserver.Env, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, env.AdminURL+"/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env.SecretKey)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return res.StatusCode
}

// apiError is Clerk's error envelope.
type apiError struct {
	Errors []struct {
		Message     string         `json:"message"`
		LongMessage string         `json:"long_message"`
		Code        string         `json:"code"`
		Meta        map[string]any `json:"meta"`
	} `json:"errors"`
}

// expectError asserts status and the first error's code (and param, if given).
func expectError(t *testing.T, status int, e apiError, wantStatus int, wantCode string, wantParam ...string) {
	t.Helper()
	if status != wantStatus || len(e.Errors) == 0 || e.Errors[0].Code != wantCode {
		t.Fatalf("got %d %+v; want %d %s", status, e, wantStatus, wantCode)
	}
	if len(wantParam) > 0 {
		if got, _ := e.Errors[0].Meta["param_name"].(string); got != wantParam[0] {
			t.Fatalf("param_name = %q, want %q (%+v)", got, wantParam[0], e)
		}
	}
}
