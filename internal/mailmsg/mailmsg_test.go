package mailmsg

import (
	"errors"
	"strings"
	"testing"
)

// crlfMessage builds a message from lines joined with CRLF.
func crlfMessage(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

var nested = crlfMessage(
	"Message-ID: <outer@example.net>",
	"TLS-Report-Domain: example.net",
	"Subject: =?utf-8?q?Report_Domain=3A_example.net?=",
	"Content-Type: multipart/mixed; boundary=a",
	"",
	"--a",
	"Content-Type: text/plain",
	"",
	"hello",
	"--a",
	"Content-Type: multipart/alternative; boundary=b",
	"",
	"--b",
	"Content-Type: application/json",
	"",
	"{}",
	"--b",
	"Content-Type: message/rfc822",
	"",
	"Subject: inner",
	"Content-Type: application/tlsrpt+json",
	"",
	"{\"inner\":1}",
	"--b--",
	"--a",
	"Content-Type: application/tlsrpt+gzip;",
	" name*0=\"google.com!example.net!\";",
	" name*1=\"1!2!001.json.gz\"",
	"Content-Transfer-Encoding: base64",
	"",
	"H4sI",
	"AAAA",
	"--a--",
)

func TestParseNestedParts(t *testing.T) {
	msg, err := Parse(nested, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if msg.MessageID != "<outer@example.net>" {
		t.Errorf("MessageID %q", msg.MessageID)
	}
	if msg.ReportDomain != "example.net" {
		t.Errorf("ReportDomain %q", msg.ReportDomain)
	}
	if msg.Subject != "Report Domain: example.net" {
		t.Errorf("Subject %q, want the decoded encoded word", msg.Subject)
	}
	want := []struct{ path, contentType, filename, data string }{
		{"2.1", "application/json", "", "{}"},
		{"2.2.1", "application/tlsrpt+json", "", "{\"inner\":1}"},
		{"3", "application/tlsrpt+gzip", "google.com!example.net!1!2!001.json.gz", "\x1f\x8b\x08\x00\x00\x00"},
	}
	if len(msg.Parts) != len(want) {
		t.Fatalf("%d parts, want %d: %+v", len(msg.Parts), len(want), msg.Parts)
	}
	for i, w := range want {
		p := msg.Parts[i]
		if p.Path != w.path {
			t.Errorf("part %d path %q, want %q", i, p.Path, w.path)
		}
		if p.ContentType != w.contentType {
			t.Errorf("part %d type %q, want %q", i, p.ContentType, w.contentType)
		}
		if p.Filename != w.filename {
			t.Errorf("part %d filename %q, want %q", i, p.Filename, w.filename)
		}
		if got := strings.TrimRight(string(p.Data), "\r\n"); got != w.data {
			t.Errorf("part %d data %q, want %q", i, got, w.data)
		}
		if p.Err != nil {
			t.Errorf("part %d error %v", i, p.Err)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	msg, err := Parse(nested, Options{MaxDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Parts) != 1 || msg.Parts[0].Path != "3" {
		t.Errorf("parts %+v, want only part 3", msg.Parts)
	}
	if len(msg.Notes) != 1 || msg.Notes[0].Code != NoteDepthExceeded {
		t.Errorf("notes %+v, want one %s", msg.Notes, NoteDepthExceeded)
	}
}

func TestParseSinglePart(t *testing.T) {
	tests := []struct {
		name     string
		msg      []byte
		wantPart bool
		wantType string
	}{
		{"text only", crlfMessage("Subject: cron", "Content-Type: text/plain", "", "done"), false, ""},
		{"no content type", crlfMessage("Subject: x", "", "{}"), true, ""},
		{"json body", crlfMessage("Content-Type: application/tlsrpt+json", "", "{}"), true, "application/tlsrpt+json"},
		{"html", crlfMessage("Content-Type: text/html; charset=x-bogus", "", "<p>"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := Parse(tt.msg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(msg.Parts) == 1; got != tt.wantPart {
				t.Fatalf("parts %+v, want a part: %v", msg.Parts, tt.wantPart)
			}
			if tt.wantPart && (msg.Parts[0].Path != "1" || msg.Parts[0].ContentType != tt.wantType) {
				t.Errorf("part %+v, want path 1 and type %q", msg.Parts[0], tt.wantType)
			}
		})
	}
}

func TestParseUnterminatedMultipart(t *testing.T) {
	msg, err := Parse(crlfMessage(
		"Content-Type: multipart/report; boundary=x",
		"",
		"--x",
		"Content-Type: application/json",
		"",
		"{\"a\":1}",
		"--x",
	), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Parts) == 0 || string(msg.Parts[0].Data) != "{\"a\":1}" {
		t.Errorf("parts %+v, want the JSON part kept", msg.Parts)
	}
	if len(msg.Notes) != 1 || msg.Notes[0].Code != NoteUnterminatedMultipart {
		t.Errorf("notes %+v, want one %s", msg.Notes, NoteUnterminatedMultipart)
	}
}

func TestParseBadBase64(t *testing.T) {
	msg, err := Parse(crlfMessage(
		"Content-Type: application/gzip",
		"Content-Transfer-Encoding: base64",
		"",
		"!!!not base64!!!",
	), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Parts) != 1 || msg.Parts[0].Err == nil {
		t.Errorf("parts %+v, want one part with a decoding error", msg.Parts)
	}
}

func TestParsePartSizeLimit(t *testing.T) {
	msg, err := Parse(crlfMessage("Content-Type: application/json", "", strings.Repeat("x", 100)), Options{MaxPartSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Parts) != 1 || !errors.Is(msg.Parts[0].Err, ErrTooLarge) {
		t.Errorf("parts %+v, want one part with ErrTooLarge", msg.Parts)
	}
}

func TestParseInvalidHeader(t *testing.T) {
	if _, err := Parse([]byte("no colon here\r\n\r\nbody"), Options{}); err == nil {
		t.Error("Parse accepted a header line without a colon")
	}
}
