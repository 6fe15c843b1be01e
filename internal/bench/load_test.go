package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	if p := percentile(d, 0.50); p != 50 {
		t.Errorf("p50 = %d", p)
	}
	if p := percentile(d, 0.99); p != 99 {
		t.Errorf("p99 = %d", p)
	}
	if p := percentile(d[:1], 0.99); p != 1 {
		t.Errorf("p99 of one = %d", p)
	}
	if p := percentile(nil, 0.5); p != 0 {
		t.Errorf("p50 of none = %d", p)
	}
}

// drive stops at the request cap, counts errors apart from successes and
// reports the most frequent error.
func TestDriveBoundsAndErrors(t *testing.T) {
	var calls atomic.Int64
	w := func(context.Context) error {
		if calls.Add(1)%4 == 0 {
			return errors.New("boom")
		}
		return nil
	}
	var started atomic.Int64
	res := summarize(drive(context.Background(), []requestFunc{w, w, w}, time.Minute, 1000, &started))
	if got := res.ok + res.failed; got != 1000 || calls.Load() != 1000 {
		t.Fatalf("%d requests counted, %d made; want 1000", got, calls.Load())
	}
	if res.failed != 250 || res.firstError != "boom" || res.rps() <= 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestDriveStopsAtDeadline(t *testing.T) {
	w := func(context.Context) error { time.Sleep(time.Millisecond); return nil }
	start := time.Now()
	var started atomic.Int64
	res := summarize(drive(context.Background(), []requestFunc{w, w}, 50*time.Millisecond, 1_000_000, &started),
		drive(context.Background(), []requestFunc{w, w}, 20*time.Millisecond, 1_000_000, &started))
	if el := time.Since(start); el > 2*time.Second || res.ok == 0 || res.failed != 0 || res.elapsed < 70*time.Millisecond {
		t.Fatalf("took %s, %+v", el, res)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://localhost:8080", "http://127.0.0.1:1", "http://[::1]:9"} {
		if err := requireLoopbackURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://example.com", "http://10.0.0.1:8080", "ftp://localhost", "localhost:8080", "http://auth.localhost.example.com"} {
		if err := requireLoopbackURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if err := requireLoopbackDB("postgres://u:p@db.internal:5432/x"); err == nil {
		t.Error("a remote database was accepted")
	}
	if err := requireLoopbackDB("postgres://u:p@127.0.0.1:5432/x?sslmode=disable"); err != nil {
		t.Error(err)
	}
}
