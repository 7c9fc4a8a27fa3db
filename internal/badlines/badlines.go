// Package badlines logs the lines of an NDJSON input that are not usable
// reports: the first MaxLogged one by one, then one count of the rest, and
// once per input a hint when the input is something that tlsrpt-extract
// reads rather than one report per line.
package badlines

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
)

// MaxLogged is how many bad lines of one input are logged one by one. A
// mail message or a gzip file read by mistake is hundreds of bad lines,
// and its first lines show the problem.
const MaxLogged = 10

// Reporter logs the bad lines of one input. Call Report for each bad line
// and Close at the end of the input.
type Reporter struct {
	log     *slog.Logger
	input   string // as the hint names it, such as "standard input"
	message string // log message for one bad line
	attrs   []any  // logged before "line" and "err"

	logged   int
	unlogged int
	kind     string // input kind that Sniff found in line 1, or ""
}

// New returns a Reporter that logs each bad line at error level as
// message, with attrs, the line number and the error.
func New(log *slog.Logger, input, message string, attrs ...any) *Reporter {
	return &Reporter{log: log, input: input, message: message, attrs: attrs}
}

// Report logs bad line number with err, or only counts it once MaxLogged
// lines were logged. data is the line's content. Line 1 is also matched
// against the inputs that tlsrpt-extract reads, for the hint that Close
// logs.
func (r *Reporter) Report(number int, data []byte, err error) {
	if number == 1 {
		r.kind = Sniff(data)
	}
	if r.logged >= MaxLogged {
		r.unlogged++
		return
	}
	r.logged++
	attrs := append(slices.Clip(r.attrs), "line", number, "err", err)
	r.log.Error(r.message, attrs...)
}

// Close logs the count of the bad lines that were not logged one by one,
// and the hint to use tlsrpt-extract when the first line was bad and
// looked like its input.
func (r *Reporter) Close() {
	if r.unlogged > 0 {
		lines := "lines"
		if r.unlogged == 1 {
			lines = "line"
		}
		r.log.Error(fmt.Sprintf("%s: %d more %s like this, not logged one by one", r.message, r.unlogged, lines), r.attrs...)
		r.unlogged = 0
	}
	if r.kind != "" {
		r.log.Error(fmt.Sprintf("%s looks like %s, not one report per line: pipe it through tlsrpt-extract first", r.input, r.kind), r.attrs...)
		r.kind = ""
	}
}

// Sniff returns what the first line of an input looks like when it is
// something tlsrpt-extract reads: "a mail message", "gzip data", "zip data"
// or "a pretty-printed JSON report". It returns "" for anything else,
// including a report on one line.
func Sniff(line []byte) string {
	switch {
	case bytes.HasPrefix(line, []byte{0x1f, 0x8b}): // RFC 1952 section 2.3.1: ID1, ID2
		return "gzip data"
	case bytes.HasPrefix(line, []byte("PK\x03\x04")): // local file header signature of a zip file
		return "zip data"
	case bytes.HasPrefix(line, []byte("From ")): // the postmark line that starts every mbox message
		return "a mail message"
	case isHeaderLine(line):
		return "a mail message"
	case string(bytes.TrimSpace(line)) == "{": // how jq and an indenting JSON.stringify start a report
		return "a pretty-printed JSON report"
	}
	return ""
}

// isHeaderLine reports whether line starts like an RFC 5322 header field:
// a field name, then a colon. RFC 5322 section 3.6.8 allows any printable
// character but the colon in the name, which would also match a JSON line
// such as {"a":1}, so only the letters, digits and hyphens that every
// registered field name is made of are accepted here, starting with a
// letter.
func isHeaderLine(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':':
			return i > 0
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return false
}
