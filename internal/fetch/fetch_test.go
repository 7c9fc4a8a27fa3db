package fetch

import (
	"bytes"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func TestRedactorTrace(t *testing.T) {
	const user, password = "reports", `pa"ss\word`
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	for _, tc := range []struct {
		name  string
		input string
		want  string
	}{
		{"login quoted", "T1 LOGIN \"reports\" \"pa\\\"ss\\\\word\"\r\n", "T1 LOGIN <redacted>\r\n"},
		{"login literal", "T1 LOGIN reports {10+}\r\npa\"ss\\word\r\n", "T1 LOGIN <redacted>\r\n<redacted>\r\n"},
		{"sasl-ir", "T1 AUTHENTICATE PLAIN " + plain + "\r\n", "T1 AUTHENTICATE PLAIN <redacted>\r\n"},
		{"sasl continuation", plain + "\r\n", "<redacted>\r\n"},
		{"other line kept", "T2 EXAMINE INBOX\r\n", "T2 EXAMINE INBOX\r\n"},
		{"no final newline", "* BYE", "* BYE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			r := newRedactor(&out, user, password)
			// Write byte by byte, the worst split a reader can produce.
			for i := range len(tc.input) {
				r.Write([]byte{tc.input[i]})
			}
			r.Flush()
			if out.String() != tc.want {
				t.Errorf("trace %q, want %q", out.String(), tc.want)
			}
		})
	}
}

func TestRedactorLongLine(t *testing.T) {
	var out bytes.Buffer
	r := newRedactor(&out, "u", "secret-password")
	long := strings.Repeat("x", maxTraceLine) + "secret-password" + strings.Repeat("y", 100) + "\n"
	for chunk := range slicesChunk([]byte(long), 4096) {
		r.Write(chunk)
	}
	r.Flush()
	if strings.Contains(out.String(), "secret-password") {
		t.Error("password split over the long-line boundary was not redacted")
	}
	if got, want := out.Len(), len(long)-len("secret-password")+len(redacted); got != want {
		t.Errorf("trace has %d bytes, want %d", got, want)
	}
}

func slicesChunk(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

func TestHeaderMatches(t *testing.T) {
	for _, tc := range []struct {
		name   string
		block  string
		filter Filter
		want   bool
	}{
		{"header present", "TLS-Report-Domain: example.net\r\nSubject: x\r\n\r\n", FilterHeader, true},
		{"header lower case", "tls-report-domain: example.net\r\n\r\n", FilterHeader, true},
		{"header missing", "Subject: Report Domain: example.net\r\n\r\n", FilterHeader, false},
		{"subject folded", "Subject: Report Domain: example.net\r\n Submitter: x\r\n\r\n", FilterSubject, true},
		{"subject case", "Subject: report domain: example.net\r\n\r\n", FilterSubject, true},
		{"subject encoded", "Subject: =?utf-8?q?Report_Domain:_example.net?=\r\n\r\n", FilterSubject, true},
		{"subject other", "Subject: lunch\r\n\r\n", FilterSubject, false},
		{"empty block", "\r\n", FilterHeader, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := headerMatches([]byte(tc.block), tc.filter); got != tc.want {
				t.Errorf("headerMatches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseSender(t *testing.T) {
	envelope := &imap.Envelope{From: []imap.Address{{Mailbox: "from", Host: "example.org"}}}
	for _, tc := range []struct {
		name     string
		data     string
		envelope *imap.Envelope
		want     string
	}{
		{"return-path angle", "Return-Path: <bounce@example.com>\r\n\r\n", envelope, "bounce@example.com"},
		{"return-path bare", "Return-Path: bounce@example.com\n\n", envelope, "bounce@example.com"},
		{"null sender", "Return-Path: <>\r\n\r\n", envelope, ""},
		{"empty return-path", "Return-Path:\r\n\r\n", envelope, ""},
		{"envelope from", "Subject: x\r\n\r\n", envelope, "from@example.org"},
		{"envelope sender first", "Subject: x\r\n\r\n", &imap.Envelope{Sender: []imap.Address{{Mailbox: "s", Host: "example.org"}}, From: envelope.From}, "s@example.org"},
		{"nothing", "Subject: x\r\n\r\n", nil, ""},
		{"white space removed", "Return-Path: <\"a b\"@example.com>\r\n\r\n", nil, "ab@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseSender([]byte(tc.data), tc.envelope); got != tc.want {
				t.Errorf("parseSender = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := LoadState(path)
	if err != nil {
		t.Fatalf("missing file: %v", err)
	}
	st.Set(Mark{Server: "imap.example.net", User: "u", Mailbox: "INBOX", UIDValidity: 7, LastUID: 42})
	st.Set(Mark{Server: "imap.example.net", User: "u", Mailbox: "Other", UIDValidity: 8, LastUID: 3})
	st.Set(Mark{Server: "IMAP.example.net", User: "u", Mailbox: "INBOX", UIDValidity: 7, LastUID: 50})
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}

	loaded, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Marks) != 2 {
		t.Errorf("got %d marks, want 2", len(loaded.Marks))
	}
	if got := loaded.Get("imap.example.net", "u", "INBOX").LastUID; got != 50 {
		t.Errorf("INBOX last UID %d, want 50", got)
	}
	if got := loaded.Get("imap.example.net", "other", "INBOX").LastUID; got != 0 {
		t.Errorf("unknown user last UID %d, want 0", got)
	}
}
