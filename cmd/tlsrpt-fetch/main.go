// Command tlsrpt-fetch reads SMTP TLS report mails (RFC 8460) from an IMAP
// mailbox and writes them to standard output as an mboxrd stream.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

const program = "tlsrpt-fetch"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	cli.PrintError(os.Stderr, program, err)
	os.Exit(cli.Code(err))
}
