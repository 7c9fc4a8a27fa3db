package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/cli/clitest"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

func TestFlagsListedInCLI(t *testing.T) {
	var cfg config
	clitest.CheckCommandFlags(t, newFlagSet(&cfg, io.Discard))
}

func TestFlagErrorOneLine(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "typo.conf")
	if err := os.WriteFile(typo, []byte("max-dpeth 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{"negative depth", []string{"-max-depth", "-1"}, `invalid value "-1" for -max-depth: want a positive number`},
		{"zero message size", []string{"-max-message-size", "0"}, `invalid value "0" for -max-message-size: want a positive number`},
		{"negative workers", []string{"-workers", "-2"}, `invalid value "-2" for -workers`},
		{"not a number", []string{"-max-report-size", "1MB"}, `invalid value "1MB" for -max-report-size: want a whole number`},
		{"config typo", []string{"-config", typo}, "-config " + typo + ` line 1: "max-dpeth" is not a flag of any tlsrpt command`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCommand(t, nil, tt.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d", code, cli.ExitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			clitest.CheckOneLine(t, program, stderr, tt.want)
		})
	}
}

func TestHelpHasNoErrorLine(t *testing.T) {
	stdout, stderr, code := runCommand(t, nil, "-h")
	if code != cli.ExitOK || stdout != "" {
		t.Fatalf("-h: exit code %d, stdout %q", code, stdout)
	}
	if !strings.HasSuffix(stderr, "some input could not be used; every report found was written\n") {
		t.Errorf("-h output does not end with the last exit code:\n%s", stderr)
	}
	if !strings.Contains(stderr, "env TLSRPT_EXTRACT_REJECTS, no default") {
		t.Errorf("-h output lacks TLSRPT_EXTRACT_REJECTS:\n%s", stderr)
	}
}

func TestRejectsEnvironment(t *testing.T) {
	dir := t.TempDir()
	extractRejects := filepath.Join(dir, "extract-rejects.mbox")
	ingestRejects := filepath.Join(dir, "ingest-rejects.ndjson")
	shared := filepath.Join(dir, "rejects")
	t.Setenv("TLSRPT_EXTRACT_REJECTS", extractRejects)
	t.Setenv("TLSRPT_INGEST_REJECTS", ingestRejects)
	t.Setenv("TLSRPT_REJECTS", shared)

	_, stderr, code := runCommand(t, nil, filepath.Join(quirks, "invalid-json.eml"))
	if code != cli.ExitDataErr {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, cli.ExitDataErr, stderr)
	}
	f, err := os.Open(extractRejects)
	if err != nil {
		t.Fatalf("TLSRPT_EXTRACT_REJECTS was not written: %v", err)
	}
	defer f.Close()
	if _, err := mbox.NewReader(f, 0).Next(); err != nil {
		t.Errorf("TLSRPT_EXTRACT_REJECTS file holds no mbox message: %v", err)
	}
	for _, path := range []string{ingestRejects, shared} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s exists or cannot be checked (%v); only TLSRPT_EXTRACT_REJECTS applies", path, err)
		}
	}
}

func TestConfigSharedWithIngest(t *testing.T) {
	config := filepath.Join(t.TempDir(), "tlsrpt.conf")
	text := "store /var/lib/tlsrpt/tlsrpt.jsonl\nlock-timeout 1m\nserver imap.example.com\nmax-depth 1\n"
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCommand(t, nil, "-config", config, filepath.Join(quirks, "forwarded-rfc822.eml"))
	if code != cli.ExitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("-max-depth 1 from the shared file was not applied; a nested report was read:\n%s", stdout)
	}
}
