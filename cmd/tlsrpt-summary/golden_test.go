package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/cli/clitest"
	"github.com/tlsrpt/tlsrpt/internal/extract"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output")

// corpusDir holds real reports from many senders; see its README.md.
const corpusDir = "../../testdata/corpus"

// testNow is the clock of every test: a Monday morning after the last
// report day in the corpus (2026-05-13).
var testNow = time.Date(2026, 5, 18, 6, 0, 0, 0, time.UTC)

// corpusStore writes every report that tlsrpt-extract finds in the corpus
// to a store file, one line each as tlsrpt-ingest writes it, and returns
// its path. As tlsrpt-ingest does, it stores a report once when several
// corpus files carry it (report.Report.Key). Files that carry no usable
// report (the cron mail, the RFC figure that is not valid JSON) are
// logged, not fatal.
func corpusStore(t *testing.T) string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != "README.md" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	ingested := time.Date(2026, 5, 14, 12, 0, 0, 0, time.UTC)
	var store []byte
	var reports int
	seen := map[string]bool{}
	for _, file := range files {
		found, err := extract.ExtractFile(file)
		if err != nil {
			t.Logf("%s: %v", strings.TrimPrefix(file, corpusDir+"/"), err)
		}
		for _, r := range found {
			if seen[r.Key()] {
				continue
			}
			seen[r.Key()] = true
			r.Ingested = ingested
			r.Source = nil // the path depends on where the test runs
			store = r.AppendJSON(store)
			store = append(store, '\n')
			reports++
		}
	}
	if reports < 20 {
		t.Fatalf("corpus gave %d distinct reports, want at least 20", reports)
	}

	path := filepath.Join(t.TempDir(), "tlsrpt.jsonl")
	if err := os.WriteFile(path, store, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCommand runs the command with the test clock, no NO_COLOR and
// stdout taken for a terminal when terminal is true.
func runCommand(t *testing.T, args []string, stdin string, env map[string]string, terminal bool) (stdout, stderr string, code int) {
	t.Helper()
	c := &command{
		now:        func() time.Time { return testNow },
		getenv:     func(name string) string { return env[name] },
		isTerminal: func(io.Writer) bool { return terminal },
	}
	var out, errOut bytes.Buffer
	err := c.run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	cli.PrintError(&errOut, program, err, errFailuresFound)
	return out.String(), errOut.String(), cli.Code(err)
}

func TestGoldenCorpus(t *testing.T) {
	store := corpusStore(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"failures.txt", nil, cli.ExitFailure},
		{"verbose.txt", []string{"-v"}, cli.ExitFailure},
		{"summary.json", []string{"-json"}, cli.ExitFailure},
		{"since-2024.txt", []string{"-v", "-since", "2024-01-01", "-until", "2024-12-31"}, cli.ExitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-store", store}, tt.args...)
			stdout, stderr, code := runCommand(t, args, "", nil, false)
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if stderr != "" && !strings.Contains(strings.Join(tt.args, " "), "-v") {
				t.Errorf("stderr not empty:\n%s", stderr)
			}
			if strings.Contains(stdout, " \n") {
				t.Errorf("output has trailing spaces, which mail software may strip")
			}
			compareGolden(t, filepath.Join("testdata", tt.name), stdout)
		})
	}
}

// TestGoldenNoPolicies summarises a report with an sts policy and one
// with an empty policies array: the header, REPORTERS and PER DAY must
// all count two reports.
func TestGoldenNoPolicies(t *testing.T) {
	withPolicy := dailyReport("Google Inc.", "2026-05-16", "23:59:59", "example.com", 10, 0)
	noPolicies := `{"organization-name":"Google Inc.","date-range":{"start-datetime":"2026-05-17T00:00:00Z","end-datetime":"2026-05-17T23:59:59Z"},` +
		`"contact-info":"smtp-tls-reporting@google.com","report-id":"2026-05-17T00:00:00Z_example.com","policies":[]}` + "\n"

	stdout, stderr, code := runCommand(t, []string{"-v", "-"}, withPolicy+noPolicies, nil, false)
	if code != cli.ExitOK {
		t.Errorf("exit status %d, want %d; stderr:\n%s", code, cli.ExitOK, stderr)
	}
	compareGolden(t, filepath.Join("testdata", "no-policies.txt"), stdout)
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test -update to create it", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestUsageDoc keeps the -h output in docs/tlsrpt-summary.md verbatim:
// the first fenced block after "## Usage".
func TestUsageDoc(t *testing.T) {
	_, usage, code := runCommand(t, []string{"-h"}, "", nil, false)
	if code != cli.ExitOK {
		t.Fatalf("-h: exit status %d, want %d", code, cli.ExitOK)
	}
	clitest.CheckUsageDoc(t, "../../docs/tlsrpt-summary.md", usage, *update)
}
