package bench

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestBenchAgainstServer runs every scenario briefly against a real
// Latchkey and checks each succeeds, and the statement counts the provider
// is designed for: issuing a client_credentials token and serving JWKS or
// discovery write nothing, a code flow writes twice, a refresh once.
func TestBenchAgainstServer(t *testing.T) {
	t.Parallel()
	env := testserver.StartListening(t)
	o := Options{PublicURL: env.PublicURL, AdminURL: env.AdminURL, SecretKey: env.SecretKey, Concurrency: 2,
		Duration: 150 * time.Millisecond, MaxRequests: 300, DatabaseURL: env.DBURL, Verbose: true}
	rep, err := measure(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.write(&out)
	t.Log(out.String())
	if _, hi := rep.signRange(); len(rep.results) != len(scenarios) || len(rep.signRuns) != 3*(signSegments+1) || hi.perSecond <= 0 {
		t.Fatalf("%d results, sign runs %+v", len(rep.results), rep.signRuns)
	}
	counts := map[string]dbCounts{}
	for _, r := range rep.results {
		if r.ok == 0 || r.failed != 0 {
			t.Errorf("%s: %d ok, %d failed (%s)", r.scenario.name, r.ok, r.failed, r.firstError)
		}
		if (r.signBound.perSecond > 0) != (r.scenario.signs > 0) {
			t.Errorf("%s: signing bound %+v for %d signatures per request", r.scenario.name, r.signBound, r.scenario.signs)
		}
		if !strings.Contains(out.String(), r.scenario.name) {
			t.Errorf("the report does not name %s", r.scenario.name)
		}
		c, ok := r.perRequest()
		if !ok && rep.pgNote == "" {
			t.Errorf("%s: no statement counts", r.scenario.name)
		}
		counts[r.scenario.name] = c
	}
	if rep.pgNote != "" {
		t.Logf("statement counts not checked: %s", rep.pgNote)
		return
	}
	// Background work (the mail poller) adds a few calls a second: allow a little.
	const noise = 0.1
	near := func(got, want float64) bool { return got >= want-noise && got <= want+noise }
	for _, name := range []string{"discovery", "jwks"} {
		if c := counts[name]; c.calls > noise {
			t.Errorf("%s: %.2f statements per request, want none (precomputed bytes)", name, c.calls)
		}
	}
	if c := counts["client_credentials"]; c.writes > noise {
		t.Errorf("client_credentials: %.2f writes per request, want none", c.writes)
	}
	if c := counts["code_flow"]; !near(c.writes, 2) {
		t.Errorf("code_flow: %.2f writes per round trip, want 2", c.writes)
	}
	if c := counts["refresh"]; !near(c.writes, 1) {
		t.Errorf("refresh: %.2f writes per request, want 1", c.writes)
	}
}
