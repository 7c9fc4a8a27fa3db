package extract

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoReport marks a message that carries no report, such as a cron mail
// in the same mailbox. It is counted and skipped, not an error.
var ErrNoReport = errors.New("message carries no report")

// ErrReportMissing marks a message with a TLS-Report-Domain header, which
// RFC 8460 section 5.3 requires in report mails, that carries no report.
var ErrReportMissing = errors.New("the message has a TLS-Report-Domain header but no report attachment " +
	"(application/tlsrpt+gzip or a part named .json, .json.gz or .zip)")

// ErrUnrecognized is returned for an input in none of the formats that
// tlsrpt-extract reads.
var ErrUnrecognized = errors.New("unrecognized input: expected an mbox, an RFC 5322 message, " +
	"an RFC 8460 JSON report, gzip-compressed JSON or a zip archive of .json reports")

// Error is a report that could not be used, with where it was found.
type Error struct {
	Input     string // file name, "-" for standard input
	Message   int    // 1-based message number within the input; 0 when the input is not mail
	MessageID string // Message-ID header of that message
	Part      string // MIME part path; empty when the error concerns the whole message
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Input)
	if e.Message > 0 {
		b.WriteString(": message ")
		b.WriteString(strconv.Itoa(e.Message))
	}
	if e.MessageID != "" {
		b.WriteString(" ")
		b.WriteString(e.MessageID)
	}
	if e.Part != "" {
		b.WriteString(": part ")
		b.WriteString(e.Part)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
