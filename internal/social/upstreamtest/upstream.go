// Package upstreamtest runs a real, independent OpenID Provider for tests of
// Latchkey's social connections: the npm package oidc-provider (OpenID
// certified), driven by provider/server.mjs, as a separate Node.js process on
// a free port. Tests register clients, define accounts with whatever claims a
// real provider might send, choose who logs in, shorten token lifetimes,
// revoke grants and read counters through its admin API.
//
// Logins and consents complete on their own with 303 redirects (no forms):
// an HTTP client with a cookie jar that follows redirects, or headless
// Chromium, goes from the authorization URL straight back to the client's
// redirect URI. Every authorization logs in afresh the account chosen with
// LoginAs (or named by login_hint), whatever session the browser carries.
//
// `make test-deps` installs Node.js and the package (npm ci); without them
// Start fails the test, it never skips.
package upstreamtest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options shape the provider at start-up (what oidc-provider cannot change
// later). The zero value serves the standard scopes openid, offline_access,
// email and profile with their standard claims.
type Options struct {
	// ExtraScopes adds scopes the provider accepts, each with the claims it
	// releases (nil or empty: a scope that releases no claims, like GitHub's
	// "repo" or Google's "calendar.readonly").
	ExtraScopes map[string][]string
	// ExtraClaims are released with the openid scope besides sub, e.g.
	// Microsoft's "tid" and "xms_edov" or Google's "hd".
	ExtraClaims []string
}

// Provider is a running upstream OpenID Provider.
type Provider struct {
	// Issuer is its issuer URL (http://127.0.0.1:<port>), also its base URL.
	Issuer string

	t          testing.TB
	adminToken string
	http       *http.Client
}

// Start runs a provider for the test and stops it at the test's cleanup.
func Start(t testing.TB, opts ...Options) *Provider {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	dir := providerDir(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("upstreamtest: node is not installed (run `make test-deps`): %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Fatalf("upstreamtest: oidc-provider is not installed in %s (run `make test-deps`): %v", dir, err)
	}
	config, err := json.Marshal(map[string]any{"extra_scopes": o.ExtraScopes, "extra_claims": o.ExtraClaims})
	if err != nil {
		t.Fatal(err)
	}
	token := randomHex(t)

	// Node's start-up is CPU-heavy (loading oidc-provider); parallel tests
	// starting many at once on a small machine starve each other, so only
	// a few start at a time (each waits for its turn, then its readiness).
	starting <- struct{}{}
	defer func() { <-starting }()

	// A start normally takes about half a second. One that has not said
	// READY long after is abandoned and a fresh process started: a rare
	// start-up that never became ready (seen once in CI, with no error) must
	// not fail the test that needed the provider.
	var failures []string
	for attempt := 1; attempt <= startAttempts; attempt++ {
		issuer, why := launch(t, dir, node, token, config)
		if why == "" {
			return &Provider{Issuer: issuer, t: t, adminToken: token, http: &http.Client{Timeout: 10 * time.Second}}
		}
		failures = append(failures, why)
	}
	t.Fatalf("upstreamtest: the provider did not start: %s", strings.Join(failures, "; "))
	return nil
}

// startAttempts and readyWithin bound the starts of one provider.
const (
	startAttempts = 3
	readyWithin   = 30 * time.Second
)

// launch starts one provider process and waits for its READY line. It
// returns the issuer, or why it failed (the process is then killed). A
// running provider is killed when the test ends.
func launch(t testing.TB, dir, node, token string, config []byte) (issuer, failed string) {
	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "UPSTREAM_ADMIN_TOKEN="+token, "UPSTREAM_CONFIG="+string(config),
		"UPSTREAM_SIGNING_JWK="+signingJWK(t))
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "stdout pipe: " + err.Error()
	}
	if err := cmd.Start(); err != nil {
		return "", "starting node: " + err.Error()
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	ready := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if issuer, ok := strings.CutPrefix(lines.Text(), "READY "); ok {
				ready <- issuer
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // keep the pipe drained
	}()
	select {
	case issuer := <-ready:
		t.Cleanup(func() {
			stop()
			if t.Failed() && stderr.Len() > 0 {
				t.Logf("upstreamtest: provider stderr:\n%s", stderr.String())
			}
		})
		return issuer, ""
	case <-exited:
		return "", "it exited before it was ready; stderr: " + strings.TrimSpace(stderr.String())
	case <-time.After(readyWithin):
		stop()
		return "", "not ready within " + readyWithin.String() + "; stderr: " + strings.TrimSpace(stderr.String())
	}
}

// starting bounds how many providers start at once in one test binary.
var starting = make(chan struct{}, 2)

// providerDir is the Node project next to this file, found from the source
// path so that tests of any package can start the provider.
func providerDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("upstreamtest: cannot locate its source directory")
	}
	return filepath.Join(filepath.Dir(file), "provider")
}

func randomHex(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// syncBuffer collects the provider's stderr for failure reports.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
