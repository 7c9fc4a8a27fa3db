package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/badlines"
	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/summary"
)

func TestUnreadableErrorWording(t *testing.T) {
	tests := []struct {
		name    string
		inputs  int64
		lines   int64
		reports int64
		want    string
	}{
		{"nothing unreadable", 0, 0, 5, ""},
		{"one input alone", 1, 0, 0,
			"1 input could not be read, named above, and no report was summarised"},
		{"one input beside one report", 1, 0, 1,
			"1 input could not be read, named above, but 1 report was summarised from the rest of the input"},
		{"two inputs", 2, 0, 3,
			"2 inputs could not be read, named above, but 3 reports were summarised from the rest of the input"},
		{"one line", 0, 1, 1,
			"1 unreadable line was skipped, named above by input and line (fix or remove them), but 1 report was summarised from the rest of the input"},
		{"many lines", 0, 70, 0,
			"70 unreadable lines were skipped, the first 10 lines of each input named above (fix or remove them), and no report was summarised"},
		{"inputs and lines", 1, 2, 4,
			"1 input could not be read and 2 unreadable lines were skipped, named above by input and line (fix or remove them), but 4 reports were summarised from the rest of the input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result := &summary.Result{UnreadableInputs: tt.inputs, UnreadableLines: tt.lines, Reports: tt.reports}
			err := unreadableError(result)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("unreadableError = %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestUnreadableInputCounts runs the command on a missing file, alone and
// beside a readable one, and checks the final error and the log line that
// names the missing file.
func TestUnreadableInputCounts(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	readable := writeStore(t,
		dailyReport("Google Inc.", "2026-05-16", "", "example.com", 10, 0),
		dailyReport("Google Inc.", "2026-05-17", "", "example.com", 10, 0))

	tests := []struct {
		name      string
		args      []string
		wantError string
	}{
		{"missing file alone", []string{missing},
			"1 input could not be read, named above, and no report was summarised"},
		{"missing file beside two reports", []string{missing, readable},
			"1 input could not be read, named above, but 2 reports were summarised from the rest of the input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCommand(t, tt.args, "", nil, false)
			if code != cli.ExitDataErr {
				t.Errorf("exit status %d, want %d", code, cli.ExitDataErr)
			}
			wantLog := "input skipped input=" + missing + " err="
			if !strings.Contains(stderr, wantLog) {
				t.Errorf("stderr does not contain %q:\n%s", wantLog, stderr)
			}
			wantError := program + ": error: " + tt.wantError + "\n"
			if !strings.HasSuffix(stderr, wantError) {
				t.Errorf("stderr does not end with %q:\n%s", wantError, stderr)
			}
		})
	}
}

// TestLogLinesNameInput checks that every log line about one input has
// an input= attribute, so that a log filter can select it. The final
// error of a failed run sums up all inputs and has none.
func TestLogLinesNameInput(t *testing.T) {
	good := dailyReport("Google Inc.", "2026-05-16", "", "example.com", 10, 0)
	torn := strings.TrimSuffix(good, "\n")
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	garbage := writeStore(t, strings.Repeat("not json\n", badlines.MaxLogged+2))

	tests := []struct {
		name string
		args []string
	}{
		{"missing file", []string{"-v", missing}},
		{"missing store", []string{"-v", "-store", missing}},
		{"unreadable lines", []string{"-v", garbage}},
		{"torn store line", []string{"-v", "-store", writeStore(t, good, torn)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCommand(t, tt.args, "", nil, false)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != cli.ExitOK {
				lines = lines[:len(lines)-1] // the final error
			}
			if len(lines) == 0 {
				t.Fatalf("no log line:\n%s", stderr)
			}
			for _, line := range lines {
				if !strings.Contains(line, " input=") {
					t.Errorf("log line without input=: %s", line)
				}
			}
		})
	}
}

// TestWrongInputHint gives tlsrpt-summary files that tlsrpt-extract
// reads: each must give at most 10 line errors, a count of the rest and
// one hint to use tlsrpt-extract.
func TestWrongInputHint(t *testing.T) {
	tests := []struct {
		file   string
		hint   string
		logged int // lines logged one by one
	}{
		{"tlsrpt-rs/google1.eml", "google1.eml looks like a mail message, not one report per line: pipe it through tlsrpt-extract first", 10},
		{"tls-rpt-monitor/microsoft-report.json.gz", "microsoft-report.json.gz looks like gzip data, not one report per line: pipe it through tlsrpt-extract first", 1},
		{"parsedmarc/mail.ru.json", "mail.ru.json looks like a pretty-printed JSON report, not one report per line: pipe it through tlsrpt-extract first", 10},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			path := filepath.Join("../../testdata/corpus", tt.file)
			_, stderr, code := runCommand(t, []string{path}, "", nil, false)

			if code != cli.ExitDataErr {
				t.Errorf("exit status %d, want %d", code, cli.ExitDataErr)
			}
			if n := strings.Count(stderr, "unreadable line skipped input="); n != tt.logged {
				t.Errorf("%d lines logged one by one, want %d:\n%s", n, tt.logged, stderr)
			}
			if n := strings.Count(stderr, tt.hint); n != 1 {
				t.Errorf("hint %q appears %d times, want once:\n%s", tt.hint, n, stderr)
			}
		})
	}
}

func TestWrongInputOnStdin(t *testing.T) {
	mail, err := os.ReadFile("../../testdata/corpus/tlsrpt-rs/google1.eml")
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCommand(t, []string{"-"}, string(mail), nil, false)

	if code != cli.ExitDataErr {
		t.Errorf("exit status %d, want %d", code, cli.ExitDataErr)
	}
	want := "standard input looks like a mail message"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr does not contain %q:\n%s", want, stderr)
	}
	wantCount := "unreadable line skipped: 60 more lines like this, not logged one by one input=-"
	if !strings.Contains(stderr, wantCount) {
		t.Errorf("stderr does not contain %q:\n%s", wantCount, stderr)
	}
}
