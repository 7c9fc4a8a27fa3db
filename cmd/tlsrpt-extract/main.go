// Command tlsrpt-extract reads SMTP TLS reports (RFC 8460) from mbox files,
// single messages, Maildir folders and raw or compressed JSON, and writes
// one normalised report per line (NDJSON) on standard output.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	cli.PrintError(os.Stderr, program, err)
	os.Exit(cli.Code(err))
}

// tuneGC makes the collector run less often than Go's default, because the
// live heap is small and short-lived garbage dominates, while a soft memory
// limit keeps the process small. GOGC and GOMEMLIMIT in the environment
// take precedence.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
}
