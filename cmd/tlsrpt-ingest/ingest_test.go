package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/cli/clitest"
	"github.com/tlsrpt/tlsrpt/internal/report"
	"github.com/tlsrpt/tlsrpt/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the usage block of docs/tlsrpt-ingest.md")

// binary is tlsrpt-ingest built by TestMain for the tests that need real
// processes.
var binary string

// Environment variables that make the test binary a launcher: it sets
// RLIMIT_FSIZE and executes tlsrpt-ingest, since os/exec cannot set a
// resource limit on a child.
const (
	envExec  = "INGEST_TEST_EXEC"
	envFsize = "INGEST_TEST_FSIZE"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(envExec); path != "" {
		launch(path)
	}

	dir, err := os.MkdirTemp("", "tlsrpt-ingest-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tlsrpt-ingest")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tlsrpt-ingest:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func launch(path string) {
	var limit syscall.Rlimit
	if _, err := fmt.Sscan(os.Getenv(envFsize), &limit.Cur); err != nil {
		fmt.Fprintln(os.Stderr, "launcher:", envFsize, err)
		os.Exit(1)
	}
	limit.Max = limit.Cur
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		fmt.Fprintln(os.Stderr, "launcher: setrlimit:", err)
		os.Exit(1)
	}
	err := syscall.Exec(path, append([]string{path}, os.Args[1:]...), os.Environ())
	fmt.Fprintln(os.Stderr, "launcher: exec:", err)
	os.Exit(1)
}

// result is what one run of tlsrpt-ingest wrote and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runFunc calls run on buffers, as main does with the real streams.
func runFunc(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, bytes.NewReader(stdin), &stdout, &stderr)
	cli.PrintError(&stderr, program, err)
	return result{stdout.String(), stderr.String(), cli.Code(err)}
}

// runProcess runs the built binary.
func runProcess(t *testing.T, stdin []byte, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run %s: %v", binary, err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// corpusLines returns the bare JSON reports of testdata/corpus as NDJSON,
// each with a _source naming its file.
func corpusLines(t *testing.T) []byte {
	t.Helper()
	files, err := filepath.Glob("../../testdata/corpus/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus reports found: %v", err)
	}
	var out []byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := report.Parse(data, report.Hints{})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		r.Source = &report.Source{Input: filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file)}
		out = append(r.AppendJSON(out), '\n')
	}
	return out
}

// withSource returns report n, in the given variant, with a _source.
func withSource(t *testing.T, n, variant int, input string) []byte {
	t.Helper()
	r, err := report.Parse(storetest.AppendLine(nil, n, variant), report.Hints{})
	if err != nil {
		t.Fatal(err)
	}
	r.Source = &report.Source{Input: input, Message: n + 1}
	return append(r.AppendJSON(nil), '\n')
}

// storeLines returns the lines of the store at path, failing on a torn or
// invalid line and on a key stored twice.
func storeLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("store %s ends without a newline", path)
	}
	keys := map[string]int{}
	var lines []string
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" && len(data) == 0 {
			break
		}
		r, err := report.Parse([]byte(line), report.Hints{})
		if err != nil {
			t.Fatalf("store line %d: %v", i+1, err)
		}
		if r.Ingested.IsZero() {
			t.Errorf("store line %d has no %s", i+1, report.MemberIngested)
		}
		if first, ok := keys[r.Key()]; ok {
			t.Errorf("store lines %d and %d have the same key", first, i+1)
		}
		keys[r.Key()] = i + 1
		lines = append(lines, line)
	}
	return lines
}

// TestUsageDoc runs the built binary, so that a line main adds after the
// usage, such as an error for -h, shows as a difference from the page.
func TestUsageDoc(t *testing.T) {
	got := runProcess(t, nil, nil, "-h")
	if got.code != cli.ExitOK || got.stdout != "" {
		t.Fatalf("-h: exit %d, stdout %q", got.code, got.stdout)
	}
	clitest.CheckUsageDoc(t, "../../docs/tlsrpt-ingest.md", got.stderr, *update)
	for _, env := range []string{"TLSRPT_STORE", "TLSRPT_INGEST_REJECTS", "TLSRPT_LOCK_TIMEOUT", "65", "75"} {
		if !strings.Contains(got.stderr, env) {
			t.Errorf("-h output does not mention %s", env)
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-nosuchflag"}, {"file.json"}, {"-lock-timeout", "soon"}} {
		got := runFunc(t, nil, args...)
		if got.code != cli.ExitUsage {
			t.Errorf("%q: exit %d, want %d; stderr %s", args, got.code, cli.ExitUsage, got.stderr)
		}
	}
}

func TestRunCorpus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	input := corpusLines(t)

	first := runFunc(t, input, "-store", path, "-v")
	if first.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", first.code, first.stderr)
	}
	lines := storeLines(t, path)
	if want := strings.Join(lines, "\n") + "\n"; first.stdout != want {
		t.Errorf("stdout is not the stored lines:\nstdout %q\nstore  %q", first.stdout, want)
	}
	if n := strings.Count(first.stderr, ": stored "); n != len(lines) {
		t.Errorf("%d 'stored' lines on stderr, %d lines stored", n, len(lines))
	}

	second := runFunc(t, input, "-store", path, "-v")
	if second.code != cli.ExitOK {
		t.Fatalf("second run: exit %d: %s", second.code, second.stderr)
	}
	if second.stdout != "" {
		t.Errorf("second run stdout %q, want nothing", second.stdout)
	}
	// The corpus holds one report twice, so the first run skipped a repeat.
	want := len(lines) + strings.Count(first.stderr, "skipped repeat")
	if n := strings.Count(second.stderr, "skipped repeat"); n != want {
		t.Errorf("second run: %d repeats logged, want %d", n, want)
	}
	if got := storeLines(t, path); len(got) != len(lines) {
		t.Errorf("second run changed the store from %d to %d lines", len(lines), len(got))
	}
}

func TestRunConflict(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.jsonl")
	rejects := filepath.Join(dir, "rejects.ndjson")

	runFunc(t, withSource(t, 7, 0, "first.mbox"), "-store", path)
	newcomer := withSource(t, 7, 3, "second.mbox")
	got := runFunc(t, newcomer, "-store", path, "-rejects", rejects)

	if got.code != cli.ExitOK {
		t.Errorf("exit %d, want 0: %s", got.code, got.stderr)
	}
	if got.stdout != "" {
		t.Errorf("stdout %q, want nothing", got.stdout)
	}
	for _, want := range []string{"conflict", `stored-source="input=first.mbox,message=8"`, `new-source="input=second.mbox,message=8"`} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr does not contain %q: %s", want, got.stderr)
		}
	}
	data, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(newcomer) {
		t.Errorf("rejects file %q, want %q", data, newcomer)
	}
	if lines := storeLines(t, path); len(lines) != 1 || !strings.Contains(lines[0], "first.mbox") {
		t.Errorf("store %q, want the first report only", lines)
	}
}

func TestRunBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	var input []byte
	input = append(input, withSource(t, 1, 0, "a")...)
	input = append(input, "not json\n"...)
	input = append(input, withSource(t, 2, 0, "a")...)
	input = append(input, `{"organization-name":"x","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},"contact-info":"x","policies":[]}`+"\n"...)
	input = append(input, "\n   \n"...) // blank lines are skipped
	input = append(input, "[1,2]"...)   // last line without "\n"

	got := runFunc(t, input, "-store", path)

	if got.code != cli.ExitDataErr {
		t.Errorf("exit %d, want %d", got.code, cli.ExitDataErr)
	}
	for _, want := range []string{"line=2 ", "invalid JSON", "line=4 ", "report-id is missing", "line=7 ", "not an object", "3 of 5 input lines"} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, got.stderr)
		}
	}
	if lines := storeLines(t, path); len(lines) != 2 {
		t.Errorf("store has %d lines, want the 2 good reports", len(lines))
	}
	if n := strings.Count(got.stdout, "\n"); n != 2 {
		t.Errorf("stdout has %d lines, want 2", n)
	}
}

func TestRunDryRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.jsonl")
	runFunc(t, withSource(t, 1, 0, "a"), "-store", path)
	before := snapshot(t, dir)

	input := append(append(withSource(t, 1, 0, "a"), withSource(t, 2, 0, "a")...), withSource(t, 1, 4, "b")...)
	got := runFunc(t, input, "-store", path, "-n", "-v", "-rejects", filepath.Join(dir, "rejects"))

	if got.code != cli.ExitOK {
		t.Errorf("exit %d: %s", got.code, got.stderr)
	}
	if n := strings.Count(got.stdout, "\n"); n != 1 || !strings.Contains(got.stdout, `"2_gen.example"`) {
		t.Errorf("stdout %q, want report 2 only", got.stdout)
	}
	for _, want := range []string{"would store", "skipped repeat", "conflict"} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr does not contain %q: %s", want, got.stderr)
		}
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("dry run changed files:\nbefore %s\nafter  %s", before, after)
	}
}

func TestRunStoreFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("TLSRPT_STORE", "from-env.jsonl")
	got := runFunc(t, withSource(t, 1, 0, "a"))
	if got.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	if lines := storeLines(t, filepath.Join(dir, "from-env.jsonl")); len(lines) != 1 {
		t.Errorf("store named by TLSRPT_STORE has %d lines, want 1", len(lines))
	}

	t.Setenv("TLSRPT_STORE", "")
	runFunc(t, withSource(t, 2, 0, "a"))
	if lines := storeLines(t, filepath.Join(dir, "tlsrpt.jsonl")); len(lines) != 1 {
		t.Errorf("default store has %d lines, want 1", len(lines))
	}
}

// snapshot returns the names and contents of dir's files.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d bytes: %s; ", e.Name(), len(data), data)
	}
	return b.String()
}

// decodeKeys returns the keys of NDJSON report lines.
func decodeKeys(t *testing.T, ndjson string) []string {
	t.Helper()
	var keys []string
	dec := json.NewDecoder(strings.NewReader(ndjson))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return keys
		} else if err != nil {
			t.Fatalf("output is not NDJSON after %d reports: %v", len(keys), err)
		}
		r, err := report.Parse(raw, report.Hints{})
		if err != nil {
			t.Fatalf("output report %d: %v", len(keys)+1, err)
		}
		keys = append(keys, r.Key())
	}
}
