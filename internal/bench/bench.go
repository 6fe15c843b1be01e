// Package bench is `latchkey bench`: a load generator for a running Latchkey
// on this machine. It drives the OAuth/OIDC provider over HTTP with many
// concurrent clients, one scenario at a time, and reports for each the
// throughput, latency, errors and — from pg_stat_statements — the PostgreSQL
// statements and writes per request. It also measures the machine's bare
// RS256 signing rate, the bound for every endpoint that signs a token.
//
// One concern per file: options and the run (this file), the target and
// its HTTP client (target.go), fixtures made through the Backend and
// frontend APIs (setup.go), the authorization-code round trip (codeflow.go),
// the scenarios (scenarios.go), the load driver (load.go), statement
// counts (pgstats.go, classify.go), the signing bound (signing.go), how
// idle the machine was (machine.go) and the printed report (report.go).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Options configure a run.
type Options struct {
	PublicURL   string        // the public listener, e.g. http://localhost:8080
	AdminURL    string        // the admin listener (Backend API), e.g. http://localhost:8081
	SecretKey   string        // a Backend API secret key, sk_...
	Concurrency int           // concurrent clients per scenario
	Duration    time.Duration // how long each scenario runs
	MaxRequests int           // cap on requests per scenario (bounds memory and database growth)
	DatabaseURL string        // optional: the server's database, for pg_stat_statements
	Only        []string      // optional: run only these scenarios
	Verbose     bool          // print each scenario's statements
}

// DefaultDuration is how long each scenario runs unless told otherwise.
const DefaultDuration = 5 * time.Second

// Limits keep a run bounded whatever the flags say.
const (
	MaxConcurrency = 1024
	MaxDuration    = 2 * time.Minute
)

// Validate checks the options and fills defaults.
func (o *Options) Validate() error {
	if o.SecretKey == "" {
		return errors.New("a Backend API secret key is required (-key sk_...)")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.MaxRequests <= 0 {
		o.MaxRequests = 200_000
	}
	switch {
	case o.Concurrency > MaxConcurrency:
		return fmt.Errorf("-c %d: at most %d", o.Concurrency, MaxConcurrency)
	case o.Duration > MaxDuration:
		return fmt.Errorf("-d %s: at most %s per scenario", o.Duration, MaxDuration)
	case o.MaxRequests > 5_000_000:
		return fmt.Errorf("-n %d: at most 5000000", o.MaxRequests)
	}
	for _, name := range o.Only {
		if _, ok := scenarioByName(name); !ok {
			return fmt.Errorf("unknown scenario %q (have %s)", name, scenarioNames())
		}
	}
	for _, u := range []struct{ flag, url string }{{"-public", o.PublicURL}, {"-admin", o.AdminURL}} {
		if err := requireLoopbackURL(u.url); err != nil {
			return fmt.Errorf("%s: %w", u.flag, err)
		}
	}
	if o.DatabaseURL != "" {
		if err := requireLoopbackDB(o.DatabaseURL); err != nil {
			return fmt.Errorf("-db: %w", err)
		}
	}
	return nil
}

// Run measures the signing bound, sets up an application and a signed-in
// user, runs every scenario and writes the report to out. Progress goes to
// log.
func Run(ctx context.Context, o Options, out, log io.Writer) error {
	rep, err := measure(ctx, o, log)
	if err != nil {
		return err
	}
	rep.write(out)
	return ctx.Err()
}

// measure is Run without the printing.
func measure(ctx context.Context, o Options, log io.Writer) (*report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	t := newTarget(o)
	defer t.close()
	if err := t.ping(ctx); err != nil {
		return nil, err
	}

	var stats *pgStats
	if o.DatabaseURL != "" {
		var err error
		if stats, err = openPGStats(ctx, o.DatabaseURL); err != nil {
			return nil, err
		}
		defer stats.close()
	}

	sg, err := newSigner()
	if err != nil {
		return nil, err
	}
	rep := &report{opts: o, pgNote: stats.note(), idleBefore: idleShare(ctx, time.Second)}

	fmt.Fprintln(log, "setting up an application and a signed-in user...")
	fx, err := setUp(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("set-up: %w", err)
	}
	defer fx.tearDown(context.WithoutCancel(ctx), t)

	for _, sc := range selectedScenarios(o.Only) {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(log, "running %s for %s with %d clients...\n", sc.name, o.Duration, o.Concurrency)
		res, signs, err := runScenario(ctx, t, fx, stats, sg, sc, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.name, err)
		}
		rep.results = append(rep.results, res)
		rep.signRuns = append(rep.signRuns, signs...)
	}
	if len(rep.signRuns) == 0 && ctx.Err() == nil {
		fmt.Fprintln(log, "measuring bare RS256 signing...")
		rep.signRuns = append(rep.signRuns, sg.measure(ctx, signSlice(o.Duration)))
	}
	return rep, nil
}

// signSegments is how many stretches the load of a scenario that signs is
// cut into, with a short measurement of bare signing before, between and
// after them: a VM's CPU capacity drifts by tens of percent within a minute,
// and interleaving compares the scenario with the machine of the same
// moments.
const signSegments = 5

// signSlice is the length of one signing measurement.
func signSlice(d time.Duration) time.Duration {
	return min(max(d/(2*signSegments), 100*time.Millisecond), time.Second)
}

// runScenario prepares one scenario's per-client state, resets the
// statement counters, drives the load and reads the counters back. For a
// scenario that signs it also returns the interleaved signing measurements.
func runScenario(ctx context.Context, t *target, fx *fixture, stats *pgStats, sg *signer, sc scenario, o Options) (result, []signing, error) {
	workers := make([]requestFunc, o.Concurrency)
	for i := range workers {
		w, err := sc.prepare(ctx, t, fx, i)
		if err != nil {
			return result{}, nil, fmt.Errorf("prepare client %d: %w", i, err)
		}
		workers[i] = w
	}
	if err := stats.reset(ctx); err != nil {
		return result{}, nil, err
	}
	var started atomic.Int64
	limit := int64(o.MaxRequests)
	var segs []segment
	var signs []signing
	if sc.signs == 0 {
		segs = append(segs, drive(ctx, workers, o.Duration, limit, &started))
	} else {
		slice := signSlice(o.Duration)
		signs = append(signs, sg.measure(ctx, slice))
		for range signSegments {
			segs = append(segs, drive(ctx, workers, o.Duration/signSegments, limit, &started))
			signs = append(signs, sg.measure(ctx, slice))
		}
	}
	res := summarize(segs...)
	res.scenario = sc
	if len(signs) > 0 {
		res.signBound = meanSigning(signs...)
	}
	var err error
	if res.statements, err = stats.collect(ctx); err != nil {
		return result{}, nil, err
	}
	return res, signs, nil
}
