package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/cli/clitest"
)

func TestFlagsListedInCLI(t *testing.T) {
	var cfg config
	clitest.CheckCommandFlags(t, newFlagSet(&cfg, io.Discard))
}

// TestFlagErrorOneLine runs the built binary, so that main's own output
// is checked too.
func TestFlagErrorOneLine(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.conf")
	if err := os.WriteFile(typo, []byte("store s.jsonl\nlock-timeuot 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown flag", []string{"-nosuchflag"}, nil, "flag provided but not defined: -nosuchflag"},
		{"argument", []string{"file.json"}, nil, `unexpected argument "file.json"`},
		{"duration without unit", []string{"-lock-timeout", "5"}, nil,
			`invalid value "5" for -lock-timeout: want a duration with a unit, such as 30s`},
		{"environment", nil, []string{"TLSRPT_LOCK_TIMEOUT=soon"},
			`environment variable TLSRPT_LOCK_TIMEOUT: invalid value "soon" for -lock-timeout`},
		{"config typo", []string{"-config", typo}, nil,
			"-config " + typo + ` line 2: "lock-timeuot" is not a flag of any tlsrpt command`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-store", filepath.Join(t.TempDir(), "store.jsonl")}, tt.args...)
			got := runProcess(t, nil, tt.env, args...)
			if got.code != cli.ExitUsage {
				t.Errorf("exit %d, want %d", got.code, cli.ExitUsage)
			}
			clitest.CheckOneLine(t, program, got.stderr, tt.want)
			if strings.Contains(got.stderr, "error parsing") {
				t.Errorf("stderr keeps ff's prefix: %s", got.stderr)
			}
		})
	}
}

func TestRejectsEnvironment(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store.jsonl")
	ingestRejects := filepath.Join(dir, "ingest-rejects.ndjson")
	extractRejects := filepath.Join(dir, "extract-rejects.mbox")
	shared := filepath.Join(dir, "rejects")

	// The first run stores the report; the second sends another variant
	// of it, a conflict that goes to the -rejects file.
	if got := runFunc(t, withSource(t, 1, 0, "a"), "-store", store); got.code != cli.ExitOK {
		t.Fatalf("first run: exit %d, stderr:\n%s", got.code, got.stderr)
	}
	t.Setenv("TLSRPT_INGEST_REJECTS", ingestRejects)
	t.Setenv("TLSRPT_EXTRACT_REJECTS", extractRejects)
	t.Setenv("TLSRPT_REJECTS", shared)
	if got := runFunc(t, withSource(t, 1, 1, "b"), "-store", store); got.code != cli.ExitOK {
		t.Fatalf("second run: exit %d, stderr:\n%s", got.code, got.stderr)
	}

	data, err := os.ReadFile(ingestRejects)
	if err != nil {
		t.Fatalf("TLSRPT_INGEST_REJECTS was not written: %v", err)
	}
	if strings.Count(string(data), "\n") != 1 {
		t.Errorf("TLSRPT_INGEST_REJECTS file has %q, want one conflict line", data)
	}
	for _, path := range []string{extractRejects, shared} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s was written or checked with error %v; only TLSRPT_INGEST_REJECTS applies", path, err)
		}
	}
}

func TestConfigSharedWithFetch(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store.jsonl")
	config := filepath.Join(dir, "tlsrpt.conf")
	text := "server imap.example.com\nuser tlsrpt@example.com\nmax-depth 5\nuntil 2026-01-01\nstore " + store + "\n"
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	got := runFunc(t, withSource(t, 1, 0, "a"), "-config", config)
	if got.code != cli.ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", got.code, got.stderr)
	}
	if lines := storeLines(t, store); len(lines) != 1 {
		t.Errorf("store from the -config file has %d lines, want 1", len(lines))
	}
}
