package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

const usageHead = `Usage: tlsrpt-ingest [flags] < reports.ndjson

Reads SMTP TLS reports (RFC 8460) from standard input, one JSON report per
line as tlsrpt-extract writes them, appends those not yet in the store and
writes exactly the newly stored lines to standard output. A report is
identified by organization-name, report-id and date-range: a repeat is
skipped, and one with the same key but other content is logged as a
conflict and appended to the -rejects file.

Flags (each can also be set by the environment variable shown or in the
-config file):
`

const usageTail = `
Exit status:
  0   done; the new reports are stored and synced to disk
  1   reading standard input or writing standard output failed
  2   invalid flags or arguments
  65  some input lines are not RFC 8460 reports; they are named on standard
      error and the other reports were stored
  75  the store could not be locked within -lock-timeout or could not be
      written; nothing of this run was stored, try again later
`

// writeUsage writes the -h text: every flag with its environment variable
// and default, and the exit statuses.
func writeUsage(w io.Writer, fs *flag.FlagSet) {
	io.WriteString(w, usageHead)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		placeholder, usage := flag.UnquoteUsage(f)
		name := "-" + f.Name
		if placeholder != "" && placeholder != "value" {
			name += " " + strings.ToUpper(placeholder)
		}
		env := envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
		fmt.Fprintf(tw, "  \t(%s, default %s)\n", env, defaultText(f))
	})
	tw.Flush()
	io.WriteString(w, usageTail)
}

func defaultText(f *flag.Flag) string {
	if f.DefValue == "" {
		return "none"
	}
	return fmt.Sprintf("%q", f.DefValue)
}
