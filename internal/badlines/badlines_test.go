package badlines

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

func TestSniffLines(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string
	}{
		{"report on one line", `{"organization-name":"Google Inc.","policies":[]}`, ""},
		{"json line with colon", `{"a":1}`, ""},
		{"empty line", "", ""},
		{"text", "hello world", ""},
		{"mbox postmark", "From MAILER-DAEMON Thu Jan  1 00:00:00 2024", "a mail message"},
		{"header", "Return-Path: <reports@example.com>", "a mail message"},
		{"header with digits", "X-Mailer2: x", "a mail message"},
		{"header without value", "Subject:", "a mail message"},
		{"colon first", ": value", ""},
		{"digit first", "1x: value", ""},
		{"brace alone", "{", "a pretty-printed JSON report"},
		{"brace with crlf", "{\r", "a pretty-printed JSON report"},
		{"indented brace", "   {", "a pretty-printed JSON report"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00", "gzip data"},
		{"zip", "PK\x03\x04\x14\x00", "zip data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff([]byte(tt.line)); got != tt.want {
				t.Errorf("Sniff(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

// TestSniffCorpus checks the first line of every real report in
// testdata/corpus: .eml files are mail, .gz files gzip, and .json files
// either one report per line or pretty-printed.
func TestSniffCorpus(t *testing.T) {
	files, err := filepath.Glob("../../testdata/corpus/*/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found %d corpus files, want the whole corpus", len(files))
	}
	for _, name := range files {
		if strings.HasSuffix(name, ".md") {
			continue
		}
		t.Run(filepath.Base(name), func(t *testing.T) {
			first := firstLine(t, name)
			var want string
			switch {
			case strings.HasSuffix(name, ".eml"):
				want = "a mail message"
			case strings.HasSuffix(name, ".gz"):
				want = "gzip data"
			case string(bytes.TrimSpace(first)) == "{":
				want = "a pretty-printed JSON report"
			}
			if got := Sniff(first); got != want {
				t.Errorf("Sniff(first line %.40q) = %q, want %q", first, got, want)
			}
		})
	}
}

func firstLine(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		t.Fatalf("read %s: %v", name, err)
	}
	return bytes.TrimSuffix(line, []byte("\n"))
}

func TestReporterLimit(t *testing.T) {
	tests := []struct {
		name      string
		bad       int      // bad lines, numbered from 1
		firstLine string   // content of line 1
		lines     int      // lines logged in all
		want      []string // the last lines logged
	}{
		{
			name: "few lines", bad: 2, firstLine: "nonsense", lines: 2,
			want: []string{
				"test: error: line not stored input=in.txt line=1 err=broken",
				"test: error: line not stored input=in.txt line=2 err=broken",
			},
		},
		{
			name: "one over", bad: MaxLogged + 1, firstLine: "nonsense", lines: MaxLogged + 1,
			want: []string{
				"test: error: line not stored input=in.txt line=10 err=broken",
				"test: error: line not stored: 1 more line like this, not logged one by one input=in.txt",
			},
		},
		{
			name: "mail message", bad: 70, firstLine: "Received: from mx.example.com", lines: MaxLogged + 2,
			want: []string{
				"test: error: line not stored input=in.txt line=10 err=broken",
				"test: error: line not stored: 60 more lines like this, not logged one by one input=in.txt",
				"test: error: in.txt looks like a mail message, not one report per line: pipe it through tlsrpt-extract first input=in.txt",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			log := cli.NewLogger(&stderr, "test", false, false)
			r := New(log, "in.txt", "line not stored", "input", "in.txt")
			for n := 1; n <= tt.bad; n++ {
				data := []byte("more nonsense")
				if n == 1 {
					data = []byte(tt.firstLine)
				}
				r.Report(n, data, errors.New("broken"))
			}
			r.Close()

			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(lines) != tt.lines {
				t.Errorf("logged %d lines, want %d:\n%s", len(lines), tt.lines, stderr.String())
			}
			tail := lines[max(0, len(lines)-len(tt.want)):]
			if strings.Join(tail, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("last lines logged:\n%s\nwant:\n%s", strings.Join(tail, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestReporterHintOnlyForLineOne(t *testing.T) {
	var stderr bytes.Buffer
	r := New(cli.NewLogger(&stderr, "test", false, false), "in.txt", "line not stored")
	r.Report(2, []byte("{"), errors.New("broken"))
	r.Close()
	if strings.Contains(stderr.String(), "looks like") {
		t.Errorf("hint logged for a bad line 2 after a good line 1:\n%s", stderr.String())
	}
}
