// Command tlsrpt-summary aggregates SMTP TLS reports (RFC 8460) over a
// period. It prints nothing when no session failed, and the failures in
// detail when some did, so that a cron job mails only when something is
// wrong. See docs/tlsrpt-summary.md.
package main

import (
	"context"
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

	cli.PrintError(os.Stderr, program, err, errFailuresFound)
	os.Exit(cli.Code(err))
}

// run is the command with the real clock, environment and terminal check.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &command{now: time.Now, getenv: os.Getenv, isTerminal: cli.IsTerminal}
	return c.run(ctx, args, stdin, stdout, stderr)
}
