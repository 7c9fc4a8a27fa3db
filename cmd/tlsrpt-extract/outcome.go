package main

import (
	"fmt"
	"log/slog"

	"github.com/tlsrpt/tlsrpt/internal/extract"
)

// logErrors logs the errors of one result. rejectsFile names the -rejects
// file that the message was appended to, or is "" when it was not.
func logErrors(log *slog.Logger, res *extract.Result, rejectsFile string) {
	if res.IOErr != nil {
		log.Error(res.IOErr.Error())
	}
	kept := ""
	if rejectsFile != "" {
		kept = "; kept in " + rejectsFile
	}
	for _, e := range res.Errors {
		log.Error(e.Error() + kept)
	}
}

// warnNoReport warns when a run found no report but skipped messages,
// because a silent exit status 0 puzzles a user testing one file. Without
// -v, the skipped messages are not named, so the warning says how to see
// them.
func warnNoReport(log *slog.Logger, st stats, verbose bool, skippedFile string) {
	if st.reports > 0 || st.skipped == 0 {
		return
	}
	msg := fmt.Sprintf("no report found: %d messages carry none", st.skipped)
	if st.skipped == 1 {
		msg = "no report found: 1 message carries none"
	}
	switch {
	case skippedFile != "":
		msg += "; kept in " + skippedFile
	case !verbose:
		msg += " (run with -v to see which)"
	}
	log.Warn(msg)
}
