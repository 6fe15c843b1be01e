package bench

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one scenario's measurements.
type result struct {
	scenario   scenario
	ok, failed int
	elapsed    time.Duration // time under load (the sum of the segments)
	p50, p99   time.Duration
	firstError string         // the most frequent error, for the report
	errorKinds map[string]int // error message -> count
	statements []statement    // nil without -db
	signBound  signing        // the bare signing rate around this scenario (scenarios that sign)
	cpu        cpuUse         // CPU time under load: the machine's, and the load generator's
}

// rps is successful requests per second under load.
func (r result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// segment is one stretch of load.
type segment struct {
	latencies []time.Duration // of successful requests
	failures  map[string]int
	elapsed   time.Duration
	cpu       cpuUse
}

// drive runs every worker in its own goroutine, each issuing requests back
// to back, until d has passed or started reaches maxRequests; requests in
// flight at the deadline finish and count. Interrupting ctx stops it early.
func drive(ctx context.Context, workers []requestFunc, d time.Duration, maxRequests int64, started *atomic.Int64) segment {
	latencies := make([][]time.Duration, len(workers))
	errs := make([]map[string]int, len(workers))
	cpu0 := sampleCPU()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, do := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			failures := map[string]int{}
			for ctx.Err() == nil && time.Now().Before(deadline) && started.Add(1) <= maxRequests {
				t0 := time.Now()
				if err := do(ctx); err != nil {
					if ctx.Err() == nil {
						failures[err.Error()]++
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			latencies[i], errs[i] = lat, failures
		}()
	}
	wg.Wait()
	seg := segment{latencies: slices.Concat(latencies...), failures: map[string]int{}, elapsed: time.Since(start),
		cpu: cpu0.until(sampleCPU())}
	for _, m := range errs {
		for msg, n := range m {
			seg.failures[msg] += n
		}
	}
	return seg
}

// summarize merges segments into a result.
func summarize(segs ...segment) result {
	res := result{errorKinds: map[string]int{}}
	var all []time.Duration
	for i, s := range segs {
		all = append(all, s.latencies...)
		res.elapsed += s.elapsed
		if i == 0 {
			res.cpu = s.cpu
		} else {
			res.cpu = res.cpu.add(s.cpu)
		}
		for msg, n := range s.failures {
			res.errorKinds[msg] += n
			res.failed += n
		}
	}
	slices.Sort(all)
	res.ok = len(all)
	res.p50, res.p99 = percentile(all, 0.50), percentile(all, 0.99)
	top := 0
	for msg, n := range res.errorKinds {
		if n > top || n == top && msg < res.firstError {
			res.firstError, top = msg, n
		}
	}
	return res
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
