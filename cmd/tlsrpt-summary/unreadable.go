package main

import (
	"fmt"
	"strings"

	"github.com/tlsrpt/tlsrpt/internal/badlines"
	"github.com/tlsrpt/tlsrpt/internal/summary"
)

// unreadableError returns the error that sums up the inputs that could
// not be opened and the lines that were not usable reports, or nil when
// there were none. The message points to the log lines above and counts
// the reports that the summary covers.
func unreadableError(result *summary.Result) error {
	var parts []string
	if n := result.UnreadableInputs; n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s could not be read", n, plural(n, "input", "inputs")))
	}
	if n := result.UnreadableLines; n > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable %s skipped", n, plural(n, "line was", "lines were")))
	}
	if len(parts) == 0 {
		return nil
	}

	named := "named above"
	switch {
	case result.UnreadableLines > badlines.MaxLogged:
		named = fmt.Sprintf("the first %d lines of each input named above (fix or remove them)", badlines.MaxLogged)
	case result.UnreadableLines > 0:
		named = "named above by input and line (fix or remove them)"
	}
	if n := result.Reports; n > 0 {
		return fmt.Errorf("%s, %s, but %d %s summarised from the rest of the input",
			strings.Join(parts, " and "), named, n, plural(n, "report was", "reports were"))
	}
	return fmt.Errorf("%s, %s, and no report was summarised", strings.Join(parts, " and "), named)
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
