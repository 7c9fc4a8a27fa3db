package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/report"
)

// binDir holds the four commands, built once by TestMain.
var binDir string

// repoRoot is the directory holding go.mod.
var repoRoot string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "tlsrpt-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "./cmd/...")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/...: %v\n%s", err, out)
		return 1
	}
	binDir = dir
	return m.Run()
}

func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// recipe returns the fenced code block that follows the line
// "<!-- recipe: NAME -->" in README.md.
func recipe(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	marker := "<!-- recipe: " + name + " -->"
	_, rest, found := strings.Cut(string(data), marker)
	if !found {
		t.Fatalf("README.md has no %q", marker)
	}
	sc := bufio.NewScanner(strings.NewReader(rest))
	var lines []string
	inside := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if inside {
				return strings.Join(lines, "\n") + "\n"
			}
			inside = true
			continue
		}
		if inside {
			lines = append(lines, line)
		}
	}
	t.Fatalf("README.md: no complete code block after %q", marker)
	return ""
}

// localize rewrites the system paths of a recipe to paths under dir, so
// that it runs unchanged otherwise in a test. $HOME is rewritten too,
// because procmail and maildrop take HOME from the password database.
func localize(text, dir string) string {
	return strings.NewReplacer(
		"/usr/local/bin/", binDir+"/",
		"/usr/local/bin:", binDir+":",
		"/usr/local/sbin/", filepath.Join(dir, "sbin")+"/",
		"$HOME/", dir+"/",
		"/var/lib/tlsrpt", filepath.Join(dir, "var"),
		"/etc/tlsrpt", filepath.Join(dir, "etc"),
	).Replace(text)
}

// testEnv returns an environment with the built commands first in PATH,
// HOME set to home and no TLSRPT_ or IMAP_ variables of the caller.
func testEnv(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TLSRPT_") || strings.HasPrefix(kv, "IMAP_") ||
			strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+binDir+":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME="+home)
	return append(env, extra...)
}

// corpusMails returns the paths of the report mails and other mails in
// testdata/corpus.
func corpusMails(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "corpus", "*", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 10 {
		t.Fatalf("found %d corpus mails, want at least 10", len(paths))
	}
	sort.Strings(paths)
	return paths
}

// batchStore runs tlsrpt-extract on files and tlsrpt-ingest into a new
// store, the way a batch import would, and returns the store's path.
func batchStore(t *testing.T, dir string, files []string) string {
	t.Helper()
	store := filepath.Join(dir, "batch.jsonl")
	cmd := exec.Command("/bin/sh", "-c", `tlsrpt-extract "$@" | tlsrpt-ingest -store "$STORE" >/dev/null`, "sh")
	cmd.Args = append(cmd.Args, files...)
	cmd.Env = testEnv(dir, "STORE="+store)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("batch pipeline: %v\n%s", err, out)
	}
	return store
}

// storeContent reads a store and returns, per dedup key, the report's RFC
// content, failing the test on a duplicate key or an invalid line.
func storeContent(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	content := map[string]string{}
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		r, err := report.Parse(line, report.Hints{})
		if err != nil {
			t.Fatalf("%s line %d: %v", path, i+1, err)
		}
		if r.Ingested.IsZero() {
			t.Errorf("%s line %d: no %s member", path, i+1, report.MemberIngested)
		}
		key := r.Key()
		if _, dup := content[key]; dup {
			t.Errorf("%s line %d: report %q stored twice", path, i+1, r.ReportID)
		}
		content[key] = string(r.AppendRFC(nil))
	}
	return content
}

func compareStores(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("store holds %d reports, want %d", len(got), len(want))
	}
	for key, w := range want {
		g, ok := got[key]
		switch {
		case !ok:
			t.Errorf("report %q missing", strings.ReplaceAll(key, "\x00", " "))
		case g != w:
			t.Errorf("report %q differs:\n got %s\nwant %s", strings.ReplaceAll(key, "\x00", " "), g, w)
		}
	}
}
