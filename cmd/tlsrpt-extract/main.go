// Command tlsrpt-extract reads SMTP TLS reports (RFC 8460) from mbox files,
// single messages, Maildir folders and raw or compressed JSON, and writes
// one normalised report per line (NDJSON) on standard output.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && cli.Code(err) != cli.ExitOK {
		fmt.Fprintf(os.Stderr, "tlsrpt-extract: %v\n", err)
	}
	os.Exit(cli.Code(err))
}
