package main

import (
	"flag"
	"io"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

// writeUsage writes the -h text: every flag with its environment variable
// and default, and the exit statuses.
func writeUsage(w io.Writer, fs *flag.FlagSet) {
	cli.PrintUsage(w, cli.Usage{
		Synopsis: program + " [flags] < reports.ndjson",
		Description: `
Reads SMTP TLS reports (RFC 8460) from standard input, one JSON report per
line as tlsrpt-extract writes them, appends those not yet in the store and
writes exactly the newly stored lines to standard output. A report is
identified by organization-name, report-id and date-range: a repeat is
skipped, and one with the same key but other content is logged as a
conflict and appended to the -rejects file.`,
		Flags:   fs,
		EnvName: envName,
		ExitCodes: []cli.ExitCode{
			{Code: cli.ExitOK, Meaning: "done; the new reports are stored and synced to disk"},
			{Code: cli.ExitFailure, Meaning: "reading standard input or writing standard output failed; " +
				"the reports read before the failure were stored"},
			{Code: cli.ExitUsage, Meaning: "invalid flags or arguments"},
			{Code: cli.ExitDataErr, Meaning: "some input lines are not RFC 8460 reports; they are named on " +
				"standard error and the other reports were stored"},
			{Code: cli.ExitTempFail, Meaning: "the store could not be locked within -lock-timeout or could " +
				"not be written, and nothing of this run was stored; or the -rejects file " +
				"could not be written after the new reports were stored. Try again later"},
		},
	})
}
