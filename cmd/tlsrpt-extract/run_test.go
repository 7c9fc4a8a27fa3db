package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/benchgen"
	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/cli/clitest"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
	"github.com/tlsrpt/tlsrpt/internal/report"
	"github.com/tlsrpt/tlsrpt/internal/reportschema"
)

var update = flag.Bool("update", false, "rewrite the usage block of docs/tlsrpt-extract.md")

const (
	corpus = "../../testdata/corpus"
	quirks = "../../internal/extract/testdata/quirks"
)

// runCommand runs the command on buffers as main does, its error line
// included, and returns stdout, stderr and the exit code.
func runCommand(t *testing.T, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, stdin, &stdout, &stderr)
	cli.PrintError(&stderr, program, err)
	return stdout.String(), stderr.String(), cli.Code(err)
}

// parseLines validates every output line against docs/report.schema.json
// and parses it back.
func parseLines(t *testing.T, stdout string) []*report.Report {
	t.Helper()
	validator, err := reportschema.Load()
	if err != nil {
		t.Fatalf("loading the report schema: %v", err)
	}
	var reports []*report.Report
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		if err := validator.Validate([]byte(line)); err != nil {
			t.Errorf("output line %d does not match the schema: %v", i+1, err)
		}
		r, err := report.Parse([]byte(line), report.Hints{})
		if err != nil {
			t.Fatalf("output line %d: %v", i+1, err)
		}
		reports = append(reports, r)
	}
	return reports
}

func TestRunStdinMessage(t *testing.T) {
	f, err := os.Open(filepath.Join(corpus, "tlsrpt-rs", "google1.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	stdout, stderr, code := runCommand(t, f)
	if code != cli.ExitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr not empty without -v:\n%s", stderr)
	}
	reports := parseLines(t, stdout)
	if len(reports) != 1 {
		t.Fatalf("%d reports, want 1", len(reports))
	}
	src := reports[0].Source
	if src.Input != "-" || src.Message != 1 || src.Part != "2" {
		t.Errorf("_source = %+v, want input -, message 1, mime-part 2", src)
	}
}

func TestRunExitCodes(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.mbox")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"all read", []string{filepath.Join(corpus, "mox", "example.eml"), filepath.Join(corpus, "tlsrpt-rs", "empty.eml")}, cli.ExitOK},
		{"bad report", []string{filepath.Join(quirks, "invalid-json.eml")}, cli.ExitDataErr},
		{"unrecognized input", []string{filepath.Join(quirks, "not-a-report.txt")}, cli.ExitDataErr},
		{"missing file", []string{missing}, cli.ExitFailure},
		{"unknown flag", []string{"-no-such-flag"}, cli.ExitUsage},
		{"zero depth", []string{"-max-depth", "0"}, cli.ExitUsage},
		{"help", []string{"-h"}, cli.ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCommand(t, nil, tt.args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
		})
	}
}

func TestRunGoodAndBadTogether(t *testing.T) {
	stdout, stderr, code := runCommand(t, nil,
		filepath.Join(quirks, "invalid-json.eml"), filepath.Join(quirks, "two-reports.eml"))
	if code != cli.ExitDataErr {
		t.Errorf("exit code %d, want 65", code)
	}
	if n := len(parseLines(t, stdout)); n != 2 {
		t.Errorf("%d reports written, want the 2 of two-reports.eml", n)
	}
	for _, want := range []string{"invalid-json.eml: message 1 <bad-1@reporter.example>: part 2:", "invalid JSON"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestRunRejects(t *testing.T) {
	var in bytes.Buffer
	w := mbox.NewWriter(&in)
	bad, err := os.ReadFile(filepath.Join(quirks, "not-a-payload.eml"))
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(corpus, "mox", "example.eml"))
	if err != nil {
		t.Fatal(err)
	}
	const badPostmark = "From noreply@reporter.example Mon Mar  2 01:02:03 2026"
	w.WriteMessage("From noreply@google.com Fri Sep 16 01:00:00 2022", good)
	w.WriteMessage(badPostmark, bad)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	rejects := filepath.Join(t.TempDir(), "rejects.mbox")
	stdout, _, code := runCommand(t, &in, "-rejects", rejects)
	if code != cli.ExitDataErr {
		t.Errorf("exit code %d, want 65", code)
	}
	if n := len(parseLines(t, stdout)); n != 1 {
		t.Errorf("%d reports written, want 1", n)
	}

	f, err := os.Open(rejects)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := mbox.NewReader(f, 0)
	msg, err := r.Next()
	if err != nil {
		t.Fatalf("reading the rejects mbox: %v", err)
	}
	if msg.Postmark != badPostmark {
		t.Errorf("rejected postmark %q, want %q", msg.Postmark, badPostmark)
	}
	if !bytes.Equal(msg.Data, bad) {
		t.Errorf("rejected message differs from the input message")
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("rejects mbox holds more than one message (err %v)", err)
	}
}

func TestRunVerbose(t *testing.T) {
	_, stderr, code := runCommand(t, nil, "-v", filepath.Join(quirks, "mboxrd-lf.mbox"))
	if code != cli.ExitOK {
		t.Fatalf("exit code %d, want 0", code)
	}
	for _, want := range []string{
		"tlsrpt-extract: found report mbox-1 from Example Reporter\n",
		"tlsrpt-extract: found report mbox-2 from Example Reporter\n",
		"skipped a message that carries no report",
		"message-id=<cron-1@example.net>",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestRunDebug(t *testing.T) {
	_, stderr, _ := runCommand(t, nil, "-debug", filepath.Join(quirks, "gzip-trailing-crlf.eml"))
	for _, want := range []string{"policy-type=sts", "code=gzip-trailing-data", "sha256="} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestRunEnvironmentLimit(t *testing.T) {
	t.Setenv("TLSRPT_MAX_REPORT_SIZE", "100")
	_, stderr, code := runCommand(t, nil, filepath.Join(quirks, "report.json.gz"))
	if code != cli.ExitDataErr {
		t.Errorf("exit code %d, want 65", code)
	}
	if !strings.Contains(stderr, "exceeds the size limit") {
		t.Errorf("stderr lacks the size limit error:\n%s", stderr)
	}
}

func TestRunConfigFile(t *testing.T) {
	config := filepath.Join(t.TempDir(), "extract.conf")
	if err := os.WriteFile(config, []byte("max-depth 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, code := runCommand(t, nil, "-config", config, filepath.Join(quirks, "forwarded-rfc822.eml"))
	if code != cli.ExitOK {
		t.Errorf("exit code %d, want 0", code)
	}
	if stdout != "" {
		t.Errorf("a report nested deeper than -max-depth 1 was read:\n%s", stdout)
	}
}

func TestRunOrderKept(t *testing.T) {
	var in bytes.Buffer
	if err := benchgen.New(7).WriteMbox(&in, 600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCommand(t, &in, "-workers", "4")
	if code != cli.ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	reports := parseLines(t, stdout)
	if len(reports) != 600 {
		t.Fatalf("%d reports, want 600", len(reports))
	}
	for i, r := range reports {
		if r.Source.Message != i+1 {
			t.Fatalf("line %d comes from message %d, want %d", i+1, r.Source.Message, i+1)
		}
	}
}

// TestBinaryPipe runs the built command as a separate process in a pipe,
// the way cron and procmail run it.
func TestBinaryPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := buildCommand(t)

	in, err := os.Open(filepath.Join(quirks, "mboxo-crlf.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(bin, "-", filepath.Join(quirks, "not-a-payload.eml"))
	cmd.Stdin = in
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != cli.ExitDataErr {
		t.Errorf("exit %v, want status 65; stderr:\n%s", err, stderr.String())
	}
	if n := len(parseLines(t, stdout.String())); n != 2 {
		t.Errorf("%d reports, want 2", n)
	}
}

func TestUsageDoc(t *testing.T) {
	_, stderr, code := runCommand(t, nil, "-h")
	if code != cli.ExitOK {
		t.Fatalf("-h exit code %d, want 0", code)
	}
	clitest.CheckUsageDoc(t, "../../docs/tlsrpt-extract.md", stderr, *update)
}

func TestRunRejectsOverLimit(t *testing.T) {
	type mail struct {
		postmark string
		file     string
	}
	mails := []mail{
		{"From noreply@microsoft.com Mon Mar  2 01:02:03 2026", filepath.Join(corpus, "mox", "microsoft.eml")},
		{"From noreply@google.com Fri Sep 16 01:00:00 2022", filepath.Join(corpus, "mail-auth", "rpt01.eml")},
		{"From noreply@google.com Sat Sep 17 01:00:00 2022", filepath.Join(corpus, "tlsrpt-digest", "tlsrpt_success_google_1.eml")},
	}
	var in, want bytes.Buffer
	w := mbox.NewWriter(&in)
	wantW := mbox.NewWriter(&want)
	for i, m := range mails {
		data, err := os.ReadFile(m.file)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteMessage(m.postmark, data)
		if i != 1 {
			wantW.WriteMessage(m.postmark, data) // the two mails over the limit
		}
	}
	w.Flush()
	wantW.Flush()

	rejects := filepath.Join(t.TempDir(), "rejects.mbox")
	stdout, stderr, code := runCommand(t, &in, "-max-message-size", "3000", "-rejects", rejects)
	if code != cli.ExitDataErr {
		t.Errorf("exit code %d, want 65", code)
	}
	if n := len(parseLines(t, stdout)); n != 1 {
		t.Errorf("%d reports written, want 1 from the mail under the limit", n)
	}
	for _, want := range []string{"-: message 1: message exceeds the size limit of 3000 bytes", "-: message 3:", "kept in " + rejects} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	got, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("rejects mbox differs from the two mails over the limit as written to an mbox:\n%q", got)
	}
}

func TestRunRejectsFileOverLimit(t *testing.T) {
	path := filepath.Join(corpus, "mox", "microsoft.eml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(t.TempDir(), "rejects.mbox")
	_, stderr, code := runCommand(t, nil, "-max-message-size", "3000", "-rejects", rejects, path)
	if code != cli.ExitDataErr {
		t.Errorf("exit code %d, want 65", code)
	}
	if !strings.Contains(stderr, "kept in "+rejects) {
		t.Errorf("stderr does not say where the message was kept:\n%s", stderr)
	}
	msg := firstMessage(t, rejects)
	if !bytes.Equal(msg.Data, data) {
		t.Errorf("rejected message differs from %s", path)
	}
}

func TestRunRejectsSpillFailure(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	data, err := os.ReadFile(filepath.Join(corpus, "mox", "microsoft.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	w := mbox.NewWriter(&in)
	w.WriteMessage("From noreply@microsoft.com Mon Mar  2 01:02:03 2026", data)
	w.Flush()

	rejects := filepath.Join(t.TempDir(), "rejects.mbox")
	_, stderr, code := runCommand(t, &in, "-max-message-size", "3000", "-rejects", rejects)
	if code != cli.ExitFailure {
		t.Errorf("exit code %d, want 1 because the message is in neither output", code)
	}
	if !strings.Contains(stderr, "it was not kept for -rejects") {
		t.Errorf("stderr does not say the message was not kept:\n%s", stderr)
	}
}

func TestRunRejectsDirectoryMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	_, stderr, code := runCommand(t, nil, "-rejects", filepath.Join(dir, "rejects.mbox"), filepath.Join(corpus, "mox", "example.eml"))
	if code != cli.ExitFailure {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr, "mkdir -p "+dir) {
		t.Errorf("stderr does not say how to create the directory:\n%s", stderr)
	}
}

func TestRunSkipped(t *testing.T) {
	report, err := os.ReadFile(filepath.Join(corpus, "mox", "example.eml"))
	if err != nil {
		t.Fatal(err)
	}
	cron, err := os.ReadFile(filepath.Join(corpus, "tlsrpt-rs", "empty.eml"))
	if err != nil {
		t.Fatal(err)
	}
	const cronPostmark = "From root@host.example Mon Mar  2 01:02:03 2026"
	var in, want bytes.Buffer
	w := mbox.NewWriter(&in)
	w.WriteMessage("From noreply@google.com Fri Sep 16 01:00:00 2022", report)
	w.WriteMessage(cronPostmark, cron)
	w.Flush()
	w = mbox.NewWriter(&want)
	w.WriteMessage(cronPostmark, cron)
	w.Flush()

	skipped := filepath.Join(t.TempDir(), "skipped.mbox")
	stdout, stderr, code := runCommand(t, &in, "-skipped", skipped)
	if code != cli.ExitOK {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if n := len(parseLines(t, stdout)); n != 1 {
		t.Errorf("%d reports written, want 1", n)
	}
	got, err := os.ReadFile(skipped)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("skipped mbox holds\n%s\nwant only the cron mail\n%s", got, want.Bytes())
	}

	// A run that finds only mail without a report names the file that keeps it.
	cronOnly := filepath.Join(t.TempDir(), "cron.eml")
	if err := os.WriteFile(cronOnly, cron, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, _ = runCommand(t, nil, "-skipped", skipped, cronOnly)
	if want := "no report found: 1 message carries none; kept in " + skipped; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// buildCommand builds the command into a temporary directory.
func buildCommand(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "tlsrpt-extract")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryRejectsBeforeBrokenPipe checks that a message reported as
// kept in the rejects mbox is there although a closed standard output
// ends the process with SIGPIPE before it can close its files.
func TestBinaryRejectsBeforeBrokenPipe(t *testing.T) {
	bin := buildCommand(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()

	rejects := filepath.Join(t.TempDir(), "rejects.mbox")
	cmd := exec.Command(bin, "-rejects", rejects, filepath.Join(quirks, "invalid-json.eml"), corpus)
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("exit status 0 with a closed standard output; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "kept in "+rejects) {
		t.Fatalf("stderr does not say the message was kept:\n%s", stderr.String())
	}

	want, err := os.ReadFile(filepath.Join(quirks, "invalid-json.eml"))
	if err != nil {
		t.Fatal(err)
	}
	msg := firstMessage(t, rejects)
	if !bytes.Equal(msg.Data, want) {
		t.Errorf("the rejects mbox holds another message than the one reported as kept")
	}
}

// firstMessage returns the first message of the mbox file at path.
func firstMessage(t *testing.T, path string) *mbox.Message {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mbox.NewReader(f, 0).Next()
	if err != nil {
		t.Fatalf("reading the mbox %s: %v", path, err)
	}
	return msg
}
