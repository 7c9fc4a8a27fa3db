// Command tlsrpt-summary aggregates SMTP TLS reports (RFC 8460) over a
// period. It prints nothing when no session failed, and the failures in
// detail when some did, so that a cron job mails only when something is
// wrong. See docs/tlsrpt-summary.md.
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
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

const program = "tlsrpt-summary"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()

	printError(os.Stderr, err)
	os.Exit(cli.Code(err))
}

// printError writes the error that run returned, unless it needs no
// words: -h, or failures that are already on standard output. A flag
// error is the one-line "invalid flags" message as it is.
func printError(w io.Writer, err error) {
	var flagErr *cli.FlagError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp) || errors.Is(err, errFailuresFound):
	case errors.As(err, &flagErr):
		fmt.Fprintf(w, "%s: %v\n", program, err)
	default:
		fmt.Fprintf(w, "%s: error: %v\n", program, err)
	}
}

// run is the command with the real clock, environment and terminal check.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &command{now: time.Now, getenv: os.Getenv, isTerminal: cli.IsTerminal}
	return c.run(ctx, args, stdin, stdout, stderr)
}
