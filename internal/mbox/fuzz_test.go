package mbox

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader reads arbitrary bytes as an mbox stream. The reader must
// never panic, and the messages it returns must survive a write and a
// second read unchanged, as the package promises.
func FuzzReader(f *testing.F) {
	paths, err := filepath.Glob("../../testdata/corpus/*/*.eml")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.WriteMessage("From MAILER-DAEMON Thu Jan  1 00:00:00 2026", data)
		w.WriteMessage("From MAILER-DAEMON Thu Jan  1 00:00:01 2026", data)
		w.Flush()
		f.Add(buf.Bytes())
	}
	f.Add([]byte("From a Thu Jan  1 00:00:00 2026\r\n>From b\r\nFrom c\r\n\r\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		var postmarks []string
		var messages [][]byte
		r := NewReader(bytes.NewReader(data), 1<<20)
		for {
			msg, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			postmarks = append(postmarks, msg.Postmark)
			messages = append(messages, msg.Data)
		}

		var buf bytes.Buffer
		w := NewWriter(&buf)
		for i := range messages {
			if err := w.WriteMessage(postmarks[i], messages[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}

		checkOverflow(t, data, messages)

		r = NewReader(&buf, 0)
		for i := range messages {
			msg, err := r.Next()
			if err != nil {
				t.Fatalf("message %d after the round trip: %v", i+1, err)
			}
			if msg.Postmark != postmarks[i] {
				t.Fatalf("postmark %d changed in the round trip: %q, then %q", i+1, postmarks[i], msg.Postmark)
			}
			if !bytes.Equal(msg.Data, messages[i]) {
				t.Fatalf("message %d changed in the round trip: %q, then %q", i+1, messages[i], msg.Data)
			}
		}
	})
}

// checkOverflow reads data again with a small size limit and requires
// each message over it to be copied exactly as the reader without a limit
// returned it.
func checkOverflow(t *testing.T, data []byte, messages [][]byte) {
	var copied bytes.Buffer
	r := NewReader(bytes.NewReader(data), 64)
	r.SetOverflow(func() (io.Writer, error) {
		copied.Reset()
		return &copied, nil
	})
	for i := range messages {
		msg, err := r.Next()
		var tooLarge *TooLargeError
		switch {
		case errors.As(err, &tooLarge):
			if !bytes.Equal(copied.Bytes(), messages[i]) {
				t.Fatalf("message %d copied as %q, want %q", i+1, copied.Bytes(), messages[i])
			}
			if tooLarge.CRLF != UsesCRLF(messages[i]) {
				t.Fatalf("message %d: CRLF = %v, want %v", i+1, tooLarge.CRLF, !tooLarge.CRLF)
			}
		case err != nil:
			t.Fatalf("message %d with a size limit: %v", i+1, err)
		case !bytes.Equal(msg.Data, messages[i]):
			t.Fatalf("message %d with a size limit: %q, want %q", i+1, msg.Data, messages[i])
		}
	}
}
