package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the printed outcome of a run.
type report struct {
	opts     Options
	signRuns []signing // measured before and after the scenarios
	pgNote   string
	results  []result
	// idleBefore is the share of CPU time the machine was idle in the second
	// before the run (-1: unknown).
	idleBefore float64
}

// signRange is the slowest and the fastest signing measurement.
func (rep report) signRange() (lo, hi signing) {
	for i, s := range rep.signRuns {
		if i == 0 || s.perSecond < lo.perSecond {
			lo = s
		}
		if s.perSecond > hi.perSecond {
			hi = s
		}
	}
	return lo, hi
}

// dbCounts are a scenario's statement counts per request.
type dbCounts struct {
	calls, writes, inserts, updates, deletes float64
}

func (r result) perRequest() (dbCounts, bool) {
	n := float64(r.ok + r.failed)
	if r.statements == nil || n == 0 {
		return dbCounts{}, false
	}
	var c dbCounts
	for _, s := range r.statements {
		calls := float64(s.calls)
		c.calls += calls
		if s.kind.writes() {
			c.writes += calls
		}
		if s.kind&kindInsert != 0 {
			c.inserts += calls
		}
		if s.kind&kindUpdate != 0 {
			c.updates += calls
		}
		if s.kind&kindDelete != 0 {
			c.deletes += calls
		}
	}
	return dbCounts{c.calls / n, c.writes / n, c.inserts / n, c.updates / n, c.deletes / n}, true
}

func (rep report) write(out io.Writer) {
	o := rep.opts
	fmt.Fprintf(out, "\nlatchkey bench: %s (admin %s), %d clients, %s per scenario (at most %d requests)\n",
		o.PublicURL, o.AdminURL, o.Concurrency, o.Duration, o.MaxRequests)
	lo, hi := rep.signRange()
	fmt.Fprintf(out, "bare RS256 signing, 2048-bit key, in process on %d cores: %.0f to %.0f signatures/s over %d measurements\n",
		hi.cores, lo.perSecond, hi.perSecond, len(rep.signRuns))
	fmt.Fprintf(out, "(%.0f to %.0f µs per signature per core); a scenario that signs is compared with the runs interleaved with it\n",
		float64(hi.cores)*1e6/hi.perSecond, float64(lo.cores)*1e6/lo.perSecond)
	if rep.idleBefore >= 0 {
		fmt.Fprintf(out, "the machine was %.0f%% idle in the second before the run", 100*rep.idleBefore)
		if rep.idleBefore < 0.9 {
			fmt.Fprint(out, ": WARNING, other work competes for the CPU and skews every figure, the ratios to the signing rate most")
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\terrors\tCPU ms/req\tof it bench\tsigns/req\tsign bound/s\tof sign bound\tPG calls/req\twrites/req\tins/upd/del per req\t")
	for _, r := range rep.results {
		rate, bound := "-", "-"
		if b := r.signBound.perSecond; r.scenario.signs > 0 && b > 0 {
			rate = fmt.Sprintf("%.0f", b)
			bound = fmt.Sprintf("%.0f%%", 100*r.rps()*float64(r.scenario.signs)/b)
		}
		calls, writes, iud := "n/a", "n/a", "n/a"
		if c, ok := r.perRequest(); ok {
			calls, writes = fmt.Sprintf("%.2f", c.calls), fmt.Sprintf("%.2f", c.writes)
			iud = fmt.Sprintf("%.2f/%.2f/%.2f", c.inserts, c.updates, c.deletes)
		}
		machine, self := r.cpuPerRequest()
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.scenario.name, r.rps(), ms(r.p50), ms(r.p99),
			r.failed, machine, self, r.scenario.signs, rate, bound, calls, writes, iud)
	}
	tw.Flush()

	fmt.Fprintln(out, "\n\"of sign bound\" is req/s x signatures per request / the bare signing rate measured around the")
	fmt.Fprintln(out, "scenario (\"sign bound/s\"): the share of the machine's signing capacity the endpoint reaches,")
	fmt.Fprintln(out, "with the load generator and PostgreSQL sharing the machine. \"CPU ms/req\" is the whole machine's")
	fmt.Fprintln(out, "busy CPU time under load per request (server, PostgreSQL and this load generator; \"of it bench\").")
	if rep.pgNote != "" {
		fmt.Fprintln(out, "PostgreSQL:", rep.pgNote)
	} else {
		fmt.Fprintln(out, "PG calls/req counts every statement pg_stat_statements saw in the server's database")
		fmt.Fprintln(out, "(BEGIN/COMMIT included; background work such as the mail poller is a few calls per second).")
	}
	for _, r := range rep.results {
		if r.failed > 0 {
			fmt.Fprintf(out, "%s: %d errors, most often: %s\n", r.scenario.name, r.failed, r.firstError)
		}
	}
	if !o.Verbose {
		return
	}
	for _, r := range rep.results {
		n := float64(r.ok + r.failed)
		fmt.Fprintf(out, "\n%s — %s: %d requests in %s\n", r.scenario.name, r.scenario.what, r.ok+r.failed, r.elapsed.Round(time.Millisecond))
		if r.statements == nil || n == 0 {
			continue
		}
		for _, s := range r.statements {
			fmt.Fprintf(out, "  %8.3f/req  %-14s %s\n", float64(s.calls)/n, s.kind, oneLine(s.query, 150))
		}
	}
}

// cpuPerRequest formats the machine's and the load generator's CPU time
// per request, in milliseconds.
func (r result) cpuPerRequest() (machine, self string) {
	machine, self = "n/a", "n/a"
	n := r.ok + r.failed
	if n == 0 {
		return
	}
	if r.cpu.machine >= 0 {
		machine = fmt.Sprintf("%.3f", float64(r.cpu.machine)/float64(time.Millisecond)/float64(n))
	}
	if r.cpu.self >= 0 {
		self = fmt.Sprintf("%.3f", float64(r.cpu.self)/float64(time.Millisecond)/float64(n))
	}
	return
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// oneLine collapses whitespace and cuts to n runes.
func oneLine(q string, n int) string {
	q = strings.Join(strings.Fields(q), " ")
	if r := []rune(q); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return q
}
