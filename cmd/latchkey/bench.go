package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/latchkey/latchkey/internal/bench"
)

// benchCmd is `latchkey bench`: load a running server on this machine.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	var only string
	fs.StringVar(&o.PublicURL, "public", "http://localhost:8080", "base URL of the server's public listener (loopback only)")
	fs.StringVar(&o.AdminURL, "admin", "http://localhost:8081", "base URL of the server's admin listener (loopback only)")
	fs.StringVar(&o.SecretKey, "key", "", "Backend API secret key, sk_... (required)")
	fs.IntVar(&o.Concurrency, "c", 32, "concurrent clients")
	fs.DurationVar(&o.Duration, "d", bench.DefaultDuration, "duration of each scenario")
	fs.IntVar(&o.MaxRequests, "n", 200_000, "at most this many requests per scenario")
	fs.StringVar(&o.DatabaseURL, "db", "", "the server's DATABASE_URL, to count statements with pg_stat_statements (optional)")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run (default: all of "+strings.Join(bench.Scenarios(), ", ")+")")
	fs.BoolVar(&o.Verbose, "v", false, "list each scenario's statements")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: latchkey bench -key sk_... [flags]\n\n"+
			"Drives a running Latchkey on this machine with concurrent OAuth clients and reports\n"+
			"req/s, latency, errors and PostgreSQL statements per request for each scenario.\n"+
			"It creates an application and a user through the Backend API and deletes them after.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if only != "" {
		o.Only = strings.Split(only, ",")
	}
	return bench.Run(ctx, o, stdout, stderr)
}
