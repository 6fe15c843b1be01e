// Command latchkey is the Latchkey identity server and its operator tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "latchkey:", err)
		os.Exit(1)
	}
}

const usage = `Usage: latchkey <command>

Commands:
  serve                    run the server (public and admin listeners)
  migrate up|down|status   manage the database schema
  secret-key create [name] mint a new Backend API secret key
  keys rotate              publish a new signing key and retire the current one
  bench -key sk_...        load-test a running server on this machine (bench -h)
  version                  print the version

Configuration: LATCHKEY_CONFIG names a YAML file (see deploy/latchkey.example.yaml);
environment variables override it (DATABASE_URL, LATCHKEY_ENCRYPTION_KEY, LATCHKEY_ENV, ...).
`

// run is main without the process globals, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stdout)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout)
	case "secret-key":
		return secretKey(ctx, args[1:], getenv, stdout)
	case "keys":
		return keysCmd(ctx, args[1:], getenv, stdout)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "latchkey", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
