package mbox

import (
	"bytes"
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
