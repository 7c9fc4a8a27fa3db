package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

// TestRejectsAfterFile checks that -rejects after a file operand takes
// effect and is not read as more files.
func TestRejectsAfterFile(t *testing.T) {
	bad := filepath.Join(quirks, "not-a-payload.eml")
	rejects := filepath.Join(t.TempDir(), "rejects.mbox")

	_, stderr, code := runCommand(t, nil, bad, "-rejects", rejects)
	if code != cli.ExitDataErr {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, cli.ExitDataErr, stderr)
	}
	if want := "kept in " + rejects + "\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if strings.Contains(stderr, "no such file or directory") {
		t.Errorf("-rejects or its value was read as an input:\n%s", stderr)
	}
	data, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatalf("reading the rejects mbox: %v", err)
	}
	if !strings.HasPrefix(string(data), "From ") {
		t.Errorf("rejects mbox does not start with a From line:\n%.200s", data)
	}
}
