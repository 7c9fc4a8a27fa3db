// Command tlsrpt-ingest appends SMTP TLS reports (RFC 8460), read as NDJSON
// on standard input, to a JSONL store, skipping those it already holds, and
// writes exactly the newly stored lines to standard output.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	cli.PrintError(os.Stderr, program, err)
	os.Exit(cli.Code(err))
}
