package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

// deliveryRecipe runs one mail through a mail filter recipe of README.md.
type deliveryRecipe struct {
	name string
	// appended is what the filter adds to the end of a message it passes
	// to a program.
	appended string
	// setup writes the recipe under home and returns the command that
	// delivers one mail on its standard input, and the directory that
	// holds the store and the rejects mbox.
	setup func(t *testing.T, home string) (*exec.Cmd, string)
}

var deliveryRecipes = []deliveryRecipe{
	// procmail ends each message it passes on with an empty line.
	{"procmail", "\n", func(t *testing.T, home string) (*exec.Cmd, string) {
		procmail := requireTool(t, "procmail", "procmail")
		rc := filepath.Join(home, "procmailrc")
		writeFile(t, rc, localize(recipe(t, "procmailrc"), home))
		return exec.Command(procmail, "-m", "DEFAULT="+filepath.Join(home, "inbox.mbox"), rc), filepath.Join(home, "var")
	}},
	{"maildrop", "", func(t *testing.T, home string) (*exec.Cmd, string) {
		maildrop := requireTool(t, "maildrop", "maildrop")
		filter := filepath.Join(home, "mailfilter")
		writeFile(t, filter, "DEFAULT=\""+filepath.Join(home, "inbox.mbox")+"\"\n"+localize(recipe(t, "mailfilter"), home))
		return exec.Command(maildrop, filter), filepath.Join(home, "var")
	}},
	{"forward", "", func(t *testing.T, home string) (*exec.Cmd, string) {
		return exec.Command("/bin/sh", "-c", forwardCommand(t, home)), filepath.Join(home, "var")
	}},
}

// forwardCommand returns the command of the .forward recipe, localized
// to home. Postfix's local(8) runs such a pipe with /bin/sh -c.
func forwardCommand(t *testing.T, home string) string {
	t.Helper()
	line := strings.TrimSpace(recipe(t, "forward"))
	if !strings.HasPrefix(line, `"|`) || !strings.HasSuffix(line, `"`) {
		t.Fatalf(".forward recipe %s is not a quoted pipe", line)
	}
	return localize(strings.TrimSuffix(strings.TrimPrefix(line, `"|`), `"`), home)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// deliver runs cmd on mail with the test environment and returns its exit
// status and output.
func deliver(t *testing.T, cmd *exec.Cmd, home string, mail []byte) (int, string) {
	t.Helper()
	cmd.Env = testEnv(home)
	cmd.Stdin = bytes.NewReader(mail)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// badReportMail returns a report mail whose attachment is not valid JSON.
func badReportMail(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "internal", "extract", "testdata", "quirks", "invalid-json.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("TLS-Report-Domain: example.net\n"), data...)
}

func TestDeliveryBadReportKept(t *testing.T) {
	mail := badReportMail(t)
	for _, r := range deliveryRecipes {
		t.Run(r.name, func(t *testing.T) {
			home := t.TempDir()
			cmd, dir := r.setup(t, home)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			code, out := deliver(t, cmd, home, mail)
			if code != 0 {
				t.Errorf("exit status %d, want 0 for a mail kept in the rejects mbox; output:\n%s", code, out)
			}
			f, err := os.Open(filepath.Join(dir, "rejects.mbox"))
			if err != nil {
				t.Fatalf("the bad mail was not kept: %v", err)
			}
			defer f.Close()
			msg, err := mbox.NewReader(f, 0).Next()
			if err != nil {
				t.Fatalf("reading the rejects mbox: %v", err)
			}
			if want := string(mail) + r.appended; string(msg.Data) != want {
				t.Errorf("the rejects mbox holds\n%s\nwant the message delivered\n%s", msg.Data, want)
			}
		})
	}
}

func TestDeliveryFailureRetried(t *testing.T) {
	mail, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "corpus", "mox", "example.eml"))
	if err != nil {
		t.Fatal(err)
	}
	// A directory where a file should be, or no directory at all. Without
	// the rejects mbox, tlsrpt-extract stops with exit status 1 while
	// tlsrpt-ingest, reading nothing, exits with 0. Without the store,
	// tlsrpt-ingest cannot append.
	for _, blocked := range []string{"rejects.mbox", "tlsrpt.jsonl", "missing-directory"} {
		for _, r := range deliveryRecipes {
			t.Run(blocked+"/"+r.name, func(t *testing.T) {
				home := t.TempDir()
				cmd, dir := r.setup(t, home)
				if blocked != "missing-directory" {
					if err := os.MkdirAll(filepath.Join(dir, blocked), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				code, out := deliver(t, cmd, home, mail)
				if code != 75 {
					t.Errorf("exit status %d, want 75 so that the MTA retries; output:\n%s", code, out)
				}
				if _, err := os.Stat(filepath.Join(home, "inbox.mbox")); err == nil {
					t.Errorf("the report mail was delivered to the mailbox")
				}
			})
		}
	}
}

func TestDeliveryForwardKeepsOtherMail(t *testing.T) {
	cron, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "corpus", "tlsrpt-rs", "empty.eml"))
	if err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", forwardCommand(t, home))
	dir := filepath.Join(home, "var")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	code, out := deliver(t, cmd, home, cron)
	if code != 0 {
		t.Errorf("exit status %d, want 0; output:\n%s", code, out)
	}

	f, err := os.Open(filepath.Join(dir, "other.mbox"))
	if err != nil {
		t.Fatalf("the mail without a report was not kept: %v", err)
	}
	defer f.Close()
	msg, err := mbox.NewReader(f, 0).Next()
	if err != nil {
		t.Fatalf("reading other.mbox: %v", err)
	}
	if !bytes.Equal(msg.Data, cron) {
		t.Errorf("other.mbox holds another message than the one delivered")
	}
}
