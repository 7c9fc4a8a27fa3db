package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/report"
)

// requireTool returns the path of a program from Debian's packages, or
// skips the test without it; with TLSRPT_REQUIRE_TOOLS=1, as .ci/run sets,
// a missing program fails the test instead.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found: install the Debian package %s to run this test", name, debianPackage)
	if os.Getenv("TLSRPT_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// deliverAll runs deliver once per mail, all at once, as an MTA does
// when reports arrive together, and fails the test for each delivery that
// did not exit with 0.
func deliverAll(t *testing.T, mails []string, deliver func(mail string) *exec.Cmd) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, mail := range mails {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := os.Open(mail)
			if err != nil {
				t.Error(err)
				return
			}
			defer in.Close()
			cmd := deliver(mail)
			cmd.Stdin = in
			out, err := cmd.CombinedOutput()
			if err != nil {
				mu.Lock()
				t.Errorf("delivering %s: %v\n%s", filepath.Base(mail), err, out)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestRecipeProcmail(t *testing.T) {
	procmail := requireTool(t, "procmail", "procmail")
	dir := t.TempDir()
	rcfile := filepath.Join(dir, "procmailrc")
	if err := os.WriteFile(rcfile, []byte(localize(recipe(t, "procmailrc"), dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox.mbox")
	mails := corpusMails(t)

	deliverAll(t, mails, func(string) *exec.Cmd {
		cmd := exec.Command(procmail, "-m", "DEFAULT="+inbox, rcfile)
		cmd.Env = testEnv(dir)
		return cmd
	})

	got := storeContent(t, filepath.Join(dir, "var", "tlsrpt.jsonl"))
	want := storeContent(t, batchStore(t, dir, mails))
	compareStores(t, got, want)
	assertOnlyNonReportsDelivered(t, inbox)
}

func TestRecipeMaildrop(t *testing.T) {
	maildrop := requireTool(t, "maildrop", "maildrop")
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox.mbox")
	filter := filepath.Join(dir, "mailfilter")
	// In manual mode maildrop delivers what no rule took to DEFAULT.
	text := "DEFAULT=\"" + inbox + "\"\n" + localize(recipe(t, "mailfilter"), dir)
	if err := os.WriteFile(filter, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	mails := corpusMails(t)

	deliverAll(t, mails, func(string) *exec.Cmd {
		cmd := exec.Command(maildrop, filter)
		cmd.Env = testEnv(dir)
		return cmd
	})

	got := storeContent(t, filepath.Join(dir, "var", "tlsrpt.jsonl"))
	want := storeContent(t, batchStore(t, dir, mails))
	compareStores(t, got, want)
	assertOnlyNonReportsDelivered(t, inbox)
}

// assertOnlyNonReportsDelivered checks that the mail filter let the one
// corpus mail without a report (a cron mail) through to the mailbox, and
// no report mail.
func assertOnlyNonReportsDelivered(t *testing.T, inbox string) {
	t.Helper()
	data, err := os.ReadFile(inbox)
	if err != nil {
		t.Fatalf("the mail without a report was not delivered to the mailbox: %v", err)
	}
	cron, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "corpus", "tlsrpt-rs", "empty.eml"))
	if err != nil {
		t.Fatal(err)
	}
	subject := regexp.MustCompile(`(?m)^Subject: .*`).Find(cron)
	if subject == nil || !bytes.Contains(data, subject) {
		t.Errorf("the cron mail (%s) is not in the mailbox", subject)
	}
	if bytes.Contains(data, []byte("TLS-Report-Domain:")) {
		t.Errorf("a report mail was delivered to the mailbox instead of the store")
	}
}

func TestRecipeForward(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	command := forwardCommand(t, dir)
	mails := corpusMails(t)
	deliverAll(t, mails, func(string) *exec.Cmd {
		cmd := exec.Command("/bin/sh", "-c", command)
		cmd.Env = testEnv(dir)
		return cmd
	})

	got := storeContent(t, filepath.Join(dir, "var", "tlsrpt.jsonl"))
	want := storeContent(t, batchStore(t, dir, mails))
	compareStores(t, got, want)
}

// jqStore builds a store from the corpus mails and returns its path and
// its reports.
func jqStore(t *testing.T, dir string) []*report.Report {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	store := batchStore(t, dir, corpusMails(t))
	if err := os.Rename(store, filepath.Join(dir, "var", "tlsrpt.jsonl")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "var", "tlsrpt.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var reports []*report.Report
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		r, err := report.Parse([]byte(line), report.Hints{})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, r)
	}
	return reports
}

func runRecipe(t *testing.T, name, dir string) string {
	t.Helper()
	requireTool(t, "jq", "jq")
	cmd := exec.Command("/bin/sh", "-c", localize(recipe(t, name), dir))
	cmd.Env = testEnv(dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("recipe %s: %v", name, err)
	}
	return string(out)
}

func TestRecipeJQ(t *testing.T) {
	dir := t.TempDir()
	reports := jqStore(t, dir)

	byMX := map[string]int64{}
	perDay := map[string]int64{}
	var google []string
	for _, r := range reports {
		day := r.Start.Format("2006-01-02")
		for _, p := range r.Policies {
			perDay[day+"\t"+p.Type] += p.Failed
			for _, d := range p.FailureDetails {
				host := d.ReceivingMXHostname
				if host == "" {
					host = "(none)"
				}
				byMX[host+"\t"+p.Type] += d.FailedSessionCount
			}
		}
		if r.OrganizationName == "Google Inc." {
			google = append(google, r.ReportID)
		}
	}

	t.Run("by-mx", func(t *testing.T) {
		var want []string
		for key, n := range byMX {
			want = append(want, fmt.Sprintf("%d\t%s", n, key))
		}
		assertSameLines(t, runRecipe(t, "jq-by-mx", dir), want)
	})
	t.Run("by-sender", func(t *testing.T) {
		out := strings.TrimSpace(runRecipe(t, "jq-by-sender", dir))
		lines := strings.Split(out, "\n")
		if len(lines) != len(google) || len(google) == 0 {
			t.Fatalf("got %d lines, want one per Google report (%d):\n%s", len(lines), len(google), out)
		}
		for _, id := range google {
			if !strings.Contains(out, id) {
				t.Errorf("report-id %s missing from the output", id)
			}
		}
	})
	t.Run("per-day", func(t *testing.T) {
		var want []string
		for key, n := range perDay {
			want = append(want, fmt.Sprintf("%s\t%d", key, n))
		}
		assertSameLines(t, runRecipe(t, "jq-per-day", dir), want)
	})
}

func assertSameLines(t *testing.T, out string, want []string) {
	t.Helper()
	got := strings.Split(strings.TrimSpace(out), "\n")
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
