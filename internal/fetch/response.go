package fetch

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// responseError is an IMAP NO or BAD response, with its text cut down to
// what an error message needs. It unwraps to the original error, so
// errors.As still finds the *imap.Error.
type responseError struct {
	err  error
	resp *imap.Error
}

func (e *responseError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "imap: %v", e.resp.Type)
	if e.resp.Code != "" {
		fmt.Fprintf(&sb, " [%v]", e.resp.Code)
	}
	if text := trimResponseText(e.resp.Text); text != "" {
		sb.WriteString(" ")
		sb.WriteString(text)
	}
	return sb.String()
}

func (e *responseError) Unwrap() error { return e.err }

// wrapResponse returns err as a responseError when it is an IMAP
// response, and err itself otherwise, so that no text of a wrapped error
// is lost.
func wrapResponse(err error) error {
	resp, ok := err.(*imap.Error) //nolint:errorlint // only an unwrapped response is rewritten
	if !ok {
		return err
	}
	return &responseError{err: err, resp: resp}
}

// dovecotTiming matches the timing that Dovecot appends to its tagged
// responses, such as " (0.001 + 0.000 secs).", with any number of terms,
// and the final period after it.
var dovecotTiming = regexp.MustCompile(`\s*\((\d+\.\d+ \+ )*\d+\.\d+ secs\)\.?$`)

// trimResponseText removes from the human-readable text of a response the
// server's timing and a final period, because the text is quoted in the
// middle of an error message that goes on after it.
func trimResponseText(text string) string {
	text = dovecotTiming.ReplaceAllString(text, "")
	return strings.TrimSuffix(strings.TrimSpace(text), ".")
}
