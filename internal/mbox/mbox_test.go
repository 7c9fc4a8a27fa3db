package mbox

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// roundTripMessages are messages with every line-ending shape that the
// mbox form must keep.
var roundTripMessages = []string{
	"Subject: lf\n\nbody\n",
	"Subject: crlf\r\n\r\nbody\r\nFrom here\r\n",
	"Subject: no final newline\n\nlast line",
	"Subject: crlf no final newline\r\n\r\nlast line",
	"Subject: from lines\n\nFrom me\n>From you\n>>From them\nFromage\n",
	"Subject: empty body\n\n",
	"Subject: trailing blank lines\n\nbody\n\n\n",
	"From the desk of a header-less message\n",
	"one line ending in a lone CR\r",
	"Subject: crlf, last line a lone CR\r\n\r\nbody\r",
	"Subject: crlf, last line ending in CR CRLF\r\n\r\nbody\r\r\n",
	"Subject: lf, last line a lone CR\n\nbody\r",
	"single CRLF line\r\n",
}

func TestRoundTripByteExact(t *testing.T) {
	messages := roundTripMessages
	var buf bytes.Buffer
	w := NewWriter(&buf)
	date := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	for _, m := range messages {
		if err := w.WriteMessage(Postmark("sender@example.com", date), []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	r := NewReader(&buf, 0)
	for i, want := range messages {
		msg, err := r.Next()
		if err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		if msg.Number != i+1 {
			t.Errorf("message %d: Number = %d", i+1, msg.Number)
		}
		if msg.Postmark != "From sender@example.com Mon Nov  2 08:30:00 2026" {
			t.Errorf("message %d: Postmark = %q", i+1, msg.Postmark)
		}
		if string(msg.Data) != want {
			t.Errorf("message %d:\n got %q\nwant %q", i+1, msg.Data, want)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last message: err = %v, want io.EOF", err)
	}
}

func TestPostmarkTrailingCR(t *testing.T) {
	in := "From a Mon Nov  2 08:30:00 2026\r\r\nX: 1\r\n\r\n"
	r := NewReader(strings.NewReader(in), 0)
	msg, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if msg.Postmark != "From a Mon Nov  2 08:30:00 2026" {
		t.Errorf("Postmark = %q, want it without carriage returns", msg.Postmark)
	}

	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.WriteMessage(msg.Postmark+"\r", msg.Data)
	w.Flush()
	again, err := NewReader(&buf, 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	if again.Postmark != msg.Postmark || !bytes.Equal(again.Data, msg.Data) {
		t.Errorf("round trip gave %q %q, want %q %q", again.Postmark, again.Data, msg.Postmark, msg.Data)
	}
}

func TestEscaping(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.WriteMessage("From a Mon Nov  2 08:30:00 2026", []byte("X: y\n\nFrom me\n>From you\n"))
	w.Flush()
	want := "From a Mon Nov  2 08:30:00 2026\nX: y\n\n>From me\n>>From you\n\n"
	if buf.String() != want {
		t.Errorf("written\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestReaderMboxoUnescapedBodyLine(t *testing.T) {
	in := "From a@b Mon Nov  2 08:30:00 2026\nX: 1\n\nFrom the desk of Bob\n\nFrom a@b Mon Nov  2 08:31:00 2026\nX: 2\n\nbody\n"
	r := NewReader(strings.NewReader(in), 0)
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(first.Data) != "X: 1\n\nFrom the desk of Bob\n" {
		t.Errorf("first message = %q", first.Data)
	}
	second, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(second.Data) != "X: 2\n\nbody" {
		t.Errorf("second message = %q", second.Data)
	}
}

func TestReaderSizeLimit(t *testing.T) {
	big := strings.Repeat("x", 100) + "\n"
	in := "From a Mon Nov  2 08:30:00 2026\n" + strings.Repeat(big, 10) + "\n" +
		"From a Mon Nov  2 08:31:00 2026\nX: small\n\n"
	r := NewReader(strings.NewReader(in), 500)
	if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("large message: err = %v, want ErrTooLarge", err)
	}
	msg, err := r.Next()
	if err != nil {
		t.Fatalf("message after the large one: %v", err)
	}
	if msg.Number != 2 || string(msg.Data) != "X: small\n" {
		t.Errorf("message after the large one = %d %q", msg.Number, msg.Data)
	}
}

func TestReaderNotMbox(t *testing.T) {
	r := NewReader(strings.NewReader("Subject: hi\n\nbody\n"), 0)
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("err = %v, want an error naming the missing From line", err)
	}
}

func TestReaderEmpty(t *testing.T) {
	r := NewReader(strings.NewReader(""), 0)
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("err = %v, want io.EOF", err)
	}
}

func TestReaderOverflowCopy(t *testing.T) {
	messages := append([]string{"Subject: long\r\n\r\n" + strings.Repeat("From a line\r\n>From b\r\n", 50)}, roundTripMessages...)
	const postmark = "From a Mon Nov  2 08:30:00 2026"
	for _, m := range messages {
		var in bytes.Buffer
		w := NewWriter(&in)
		w.WriteMessage(postmark, []byte(m))
		w.WriteMessage(postmark, []byte("X\n"))
		w.Flush()
		var wantMbox bytes.Buffer
		w = NewWriter(&wantMbox)
		w.WriteMessage(postmark, []byte(m))
		w.Flush()

		for limit := int64(1); limit < int64(len(m)); limit++ {
			var copied bytes.Buffer
			r := NewReader(bytes.NewReader(in.Bytes()), limit)
			r.SetOverflow(func() (io.Writer, error) { return &copied, nil })
			_, err := r.Next()
			var tooLarge *TooLargeError
			if !errors.As(err, &tooLarge) {
				if len(m) > int(limit)+2 {
					t.Fatalf("%q, limit %d: err = %v, want a *TooLargeError", m, limit, err)
				}
				continue // within the allowance for the separator line
			}
			if !tooLarge.Copied || tooLarge.CopyErr != nil {
				t.Fatalf("%q, limit %d: Copied = %v, CopyErr = %v", m, limit, tooLarge.Copied, tooLarge.CopyErr)
			}
			if copied.String() != m {
				t.Fatalf("limit %d: copied\n%q\nwant\n%q", limit, copied.String(), m)
			}
			if tooLarge.CRLF != UsesCRLF([]byte(m)) {
				t.Errorf("%q, limit %d: CRLF = %v", m, limit, tooLarge.CRLF)
			}
			if tooLarge.Number != 1 || tooLarge.Postmark != postmark {
				t.Errorf("%q, limit %d: Number %d, Postmark %q", m, limit, tooLarge.Number, tooLarge.Postmark)
			}
			next, err := r.Next()
			if err != nil {
				t.Fatalf("%q, limit %d: message after the copied one: %v", m, limit, err)
			}
			if string(next.Data) != "X\n" {
				t.Fatalf("%q, limit %d: message after the copied one = %q", m, limit, next.Data)
			}

			var back bytes.Buffer
			w := NewWriter(&back)
			if err := w.WriteMessageFrom(tooLarge.Postmark, &copied, tooLarge.CRLF); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if back.String() != wantMbox.String() {
				t.Fatalf("%q, limit %d: WriteMessageFrom wrote\n%q\nwant\n%q", m, limit, back.String(), wantMbox.String())
			}
		}
	}
}

func TestReaderOverflowFailure(t *testing.T) {
	in := "From a Mon Nov  2 08:30:00 2026\n" + strings.Repeat("x\n", 100) + "\n" +
		"From a Mon Nov  2 08:31:00 2026\nX: small\n\n"
	failure := errors.New("no space left on device")
	r := NewReader(strings.NewReader(in), 10)
	r.SetOverflow(func() (io.Writer, error) { return nil, failure })
	_, err := r.Next()
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("err = %v, want a *TooLargeError", err)
	}
	if tooLarge.Copied {
		t.Error("Copied is set although the overflow writer could not be opened")
	}
	if !errors.Is(tooLarge.CopyErr, failure) {
		t.Errorf("CopyErr = %v, want %v", tooLarge.CopyErr, failure)
	}
	msg, err := r.Next()
	if err != nil {
		t.Fatalf("message after the large one: %v", err)
	}
	if string(msg.Data) != "X: small\n" {
		t.Errorf("message after the large one = %q", msg.Data)
	}
}

func TestWriteMessageFromLongLine(t *testing.T) {
	long := "From " + strings.Repeat("y", 200<<10) + "\n"
	m := "X: 1\n\n" + long + ">From z\n" + long
	var want, got bytes.Buffer
	w := NewWriter(&want)
	w.WriteMessage("From a Mon Nov  2 08:30:00 2026", []byte(m))
	w.Flush()
	w = NewWriter(&got)
	if err := w.WriteMessageFrom("From a Mon Nov  2 08:30:00 2026", strings.NewReader(m), false); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("WriteMessageFrom and WriteMessage differ on lines longer than the buffer")
	}
}
