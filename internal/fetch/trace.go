package fetch

import (
	"bytes"
	"encoding/base64"
	"io"
	"regexp"
	"strings"
	"sync"
)

const redacted = "<redacted>"

// redactor writes the protocol trace line by line with the credentials
// replaced by "<redacted>": the arguments of LOGIN and AUTHENTICATE, and
// wherever the password appears, raw, as an IMAP quoted string or inside
// the base64 SASL PLAIN response.
type redactor struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte
	buf     []byte
}

// maxTraceLine bounds the buffered part of a line; a longer line (a long
// message line inside a literal) is written in pieces.
const maxTraceLine = 64 << 10

func newRedactor(w io.Writer, user, password string) *redactor {
	r := &redactor{w: w}
	if password != "" {
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(password)
		plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
		for _, s := range []string{plain, quoted, password} {
			r.secrets = append(r.secrets, []byte(s))
		}
	}
	return r
}

func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	for {
		i := bytes.IndexByte(r.buf, '\n')
		if i < 0 {
			break
		}
		r.writeLine(r.buf[:i+1])
		r.buf = r.buf[i+1:]
	}
	if len(r.buf) > maxTraceLine {
		// Keep a tail as long as the longest secret, so a secret split
		// between two pieces is still found.
		keep := 0
		for _, s := range r.secrets {
			keep = max(keep, len(s))
		}
		r.writeLine(r.buf[:len(r.buf)-keep])
		r.buf = append([]byte(nil), r.buf[len(r.buf)-keep:]...)
	}
	return len(p), nil
}

// Flush writes a last line that has no line ending.
func (r *redactor) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) > 0 {
		r.writeLine(r.buf)
		r.buf = nil
	}
}

var credentialCommand = regexp.MustCompile(`(?i)^(\S+ (?:LOGIN|AUTHENTICATE \S+) ).+?(\r?\n)?$`)

func (r *redactor) writeLine(line []byte) {
	line = credentialCommand.ReplaceAll(line, []byte("${1}"+redacted+"${2}"))
	for _, s := range r.secrets {
		line = bytes.ReplaceAll(line, s, []byte(redacted))
	}
	// A failing trace writer must not break the fetch, and stderr is the
	// only place to report it, so write errors are dropped here.
	r.w.Write(line)
}
