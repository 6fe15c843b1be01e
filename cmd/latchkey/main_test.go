package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testdb"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is written by the server goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, getenvFrom(nil), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "latchkey ") {
		t.Fatalf("version: %q %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, getenvFrom(nil), io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	_, url := testdb.New(t)
	env := getenvFrom(map[string]string{"DATABASE_URL": url, "LATCHKEY_ENV": "development", "LATCHKEY_DATA_DIR": t.TempDir()})
	ctx := context.Background()
	status := func() string {
		var out bytes.Buffer
		if err := run(ctx, []string{"migrate", "status"}, env, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if s := status(); !strings.Contains(s, "applied") || strings.Contains(s, "pending") {
		t.Fatalf("fresh test database not fully migrated:\n%s", s)
	}
	if err := run(ctx, []string{"migrate", "down"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s := status(); !strings.Contains(s, "pending") {
		t.Fatalf("down left nothing pending:\n%s", s)
	}
	if err := run(ctx, []string{"migrate", "up"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s := status(); strings.Contains(s, "pending") {
		t.Fatalf("up left migrations pending:\n%s", s)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"secret-key", "create", "ci"}, env, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "sk_test_") {
		t.Fatalf("secret-key create: %q %v", out.String(), err)
	}
}

func TestServeBootstrapsServesAndShutsDown(t *testing.T) {
	t.Parallel()
	_, url := testdb.New(t)
	public, admin := freeAddr(t), freeAddr(t)
	env := getenvFrom(map[string]string{
		"DATABASE_URL": url, "LATCHKEY_ENV": "development", "LATCHKEY_DATA_DIR": t.TempDir(),
		"LATCHKEY_PUBLIC_ADDR": public, "LATCHKEY_ADMIN_ADDR": admin, "LATCHKEY_LOG_LEVEL": "error",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env, out, io.Discard) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + admin + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never became ready; output:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	key := regexp.MustCompile(`sk_test_[0-9A-Za-z]+`).FindString(out.String())
	if key == "" {
		t.Fatalf("no secret key printed on first start:\n%s", out.String())
	}
	req, _ := http.NewRequest("GET", "http://"+admin+"/v1/users", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the printed key does not work: %v %v", res, err)
	}
	res.Body.Close()
	for _, u := range []string{"http://" + public + "/healthz", "http://" + public + "/.well-known/jwks.json", "http://" + admin + "/metrics"} {
		res, err := http.Get(u)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", u, res, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.HasSuffix(u, "/metrics") && (!strings.Contains(string(body), `latchkey_http_requests_total{listener="admin",method="GET",route="/v1/users",status="200"}`) ||
			!strings.Contains(string(body), "latchkey_db_pool_connections")) {
			t.Fatalf("metrics lack request or pool series:\n%.2000s", body)
		}
	}
	cancel() // what SIGTERM does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v on shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if _, err := http.Get("http://" + public + "/healthz"); err == nil {
		t.Fatal("the public listener is still up after shutdown")
	}
}
