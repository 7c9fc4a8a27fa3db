// Command tlsrpt-ingest appends SMTP TLS reports (RFC 8460), read as NDJSON
// on standard input, to a JSONL store, skipping those it already holds, and
// writes exactly the newly stored lines to standard output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	printError(os.Stderr, err)
	os.Exit(cli.Code(err))
}

// printError writes the error that run returned: nothing for -h, the
// one-line "invalid flags" message as it is, anything else after "error:".
func printError(w io.Writer, err error) {
	var flagErr *cli.FlagError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
	case errors.As(err, &flagErr):
		fmt.Fprintf(w, "%s: %v\n", program, err)
	default:
		fmt.Fprintf(w, "%s: error: %v\n", program, err)
	}
}
