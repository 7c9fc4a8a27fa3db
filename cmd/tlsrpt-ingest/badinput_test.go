package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

// TestRunWrongInput feeds files that tlsrpt-extract reads straight to
// tlsrpt-ingest: each must give at most 10 line errors, a count of the
// rest and one hint to use tlsrpt-extract.
func TestRunWrongInput(t *testing.T) {
	tests := []struct {
		file   string
		hint   string
		logged int // lines logged one by one
		rest   string
	}{
		{"tlsrpt-rs/google1.eml", "standard input looks like a mail message, not one report per line: pipe it through tlsrpt-extract first",
			10, "60 more lines like this"},
		{"mail-tls-rpt/report.json.gz", "standard input looks like gzip data, not one report per line: pipe it through tlsrpt-extract first",
			2, ""},
		{"parsedmarc/mail.ru.json", "standard input looks like a pretty-printed JSON report, not one report per line: pipe it through tlsrpt-extract first",
			10, "23 more lines like this"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join("../../testdata/corpus", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := runFunc(t, input, "-store", filepath.Join(t.TempDir(), "store.jsonl"))

			if got.code != cli.ExitDataErr {
				t.Errorf("exit %d, want %d", got.code, cli.ExitDataErr)
			}
			if n := strings.Count(got.stderr, "input line not stored line="); n != tt.logged {
				t.Errorf("%d lines logged one by one, want %d:\n%s", n, tt.logged, got.stderr)
			}
			if n := strings.Count(got.stderr, tt.hint); n != 1 {
				t.Errorf("hint %q appears %d times, want once:\n%s", tt.hint, n, got.stderr)
			}
			if tt.rest != "" && !strings.Contains(got.stderr, tt.rest) {
				t.Errorf("stderr does not count the rest as %q:\n%s", tt.rest, got.stderr)
			}
		})
	}
}

func TestRunStoreDirMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "dir")
	got := runFunc(t, nil, "-store", filepath.Join(dir, "s.jsonl"))

	if got.code != cli.ExitTempFail {
		t.Errorf("exit %d, want %d", got.code, cli.ExitTempFail)
	}
	want := "store directory " + dir + " does not exist: create it (mkdir -p " + dir + ") and make it writable by "
	if !strings.Contains(got.stderr, want) {
		t.Errorf("stderr does not contain %q:\n%s", want, got.stderr)
	}
	if strings.Contains(got.stderr, "try again later") {
		t.Errorf("stderr says to try again later, which cannot help:\n%s", got.stderr)
	}
}

// TestExplainOpenErrorPermission builds the error, because the tests may
// run as root, which file modes do not restrict.
func TestExplainOpenErrorPermission(t *testing.T) {
	err := &fs.PathError{Op: "open", Path: "/var/lib/tlsrpt/s.jsonl.idx", Err: fs.ErrPermission}
	got := explainOpenError("/var/lib/tlsrpt/s.jsonl", err).Error()

	want := "open /var/lib/tlsrpt/s.jsonl.idx: permission denied: make /var/lib/tlsrpt/s.jsonl.idx and its directory /var/lib/tlsrpt writable by "
	if !strings.HasPrefix(got, want) {
		t.Errorf("error %q, want it to start with %q", got, want)
	}
	if !strings.Contains(got, "uid ") {
		t.Errorf("error %q does not name the uid", got)
	}
}
