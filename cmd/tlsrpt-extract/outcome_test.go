package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

func TestRunNoReportWarning(t *testing.T) {
	empty := filepath.Join(corpus, "tlsrpt-rs", "empty.eml")
	tests := []struct {
		name string
		args []string
		want string // stderr
	}{
		{"one message", []string{empty},
			"tlsrpt-extract: warning: no report found: 1 message carries none (run with -v to see which)\n"},
		{"two messages", []string{empty, empty},
			"tlsrpt-extract: warning: no report found: 2 messages carry none (run with -v to see which)\n"},
		{"report and skipped", []string{filepath.Join(quirks, "mboxrd-lf.mbox")}, ""},
		{"report only", []string{filepath.Join(corpus, "mox", "example.eml")}, ""},
		{"no input", []string{filepath.Join(t.TempDir())}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCommand(t, nil, tt.args...)
			if code != cli.ExitOK {
				t.Errorf("exit code %d, want 0", code)
			}
			if stderr != tt.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, tt.want)
			}
		})
	}
}

// TestRunNoReportVerbose checks that -v, which names each skipped
// message, drops the advice to run with -v.
func TestRunNoReportVerbose(t *testing.T) {
	_, stderr, _ := runCommand(t, nil, "-v", filepath.Join(corpus, "tlsrpt-rs", "empty.eml"))
	if !strings.Contains(stderr, "tlsrpt-extract: warning: no report found: 1 message carries none\n") {
		t.Errorf("stderr lacks the warning:\n%s", stderr)
	}
	if strings.Contains(stderr, "run with -v") {
		t.Errorf("stderr advises -v, which is set:\n%s", stderr)
	}
}

func TestRunRejectsNamed(t *testing.T) {
	bad := filepath.Join(quirks, "not-a-payload.eml")
	rejects := filepath.Join(t.TempDir(), "rejects.mbox")

	_, stderr, code := runCommand(t, nil, "-rejects", rejects, bad)
	if code != cli.ExitDataErr {
		t.Errorf("exit code %d, want 65", code)
	}
	want := "payload is neither gzip, zip nor JSON; kept in " + rejects + "\n"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}

	_, stderr, _ = runCommand(t, nil, bad)
	if strings.Contains(stderr, "kept in") {
		t.Errorf("stderr names a rejects file without -rejects:\n%s", stderr)
	}
}
