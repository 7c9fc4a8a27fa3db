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
	var opts options
	clitest.CheckCommandFlags(t, newFlagSet(&opts, io.Discard))
}

func TestFlagErrorOneLine(t *testing.T) {
	store := writeStore(t, dailyReport("Google Inc.", "2026-05-16", "23:59:59", "example.com", 10, 0))
	typo := filepath.Join(t.TempDir(), "typo.conf")
	if err := os.WriteFile(typo, []byte("# shared\nsince 7d\nunitl 2026-05-17\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-x"}, "flag provided but not defined: -x"},
		{"bool", []string{"-json=yes"}, `invalid value "yes" for -json: want true or false`},
		{"invalid since", []string{"-since", "last week"}, `-since: invalid value "last week"`},
		{"empty period", []string{"-since", "2026-05-17", "-until", "2026-05-16"}, "-since 2026-05-17 is not before -until 2026-05-16: the period from 2026-05-17T00:00:00Z to 2026-05-17T00:00:00Z is empty"},
		{"config typo", []string{"-config", typo}, "-config " + typo + ` line 3: "unitl" is not a flag of any tlsrpt command`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCommand(t, append([]string{"-store", store}, tt.args...), "", nil, false)
			if code != cli.ExitUsage {
				t.Errorf("exit status %d, want %d", code, cli.ExitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			clitest.CheckOneLine(t, program, stderr, tt.want)
		})
	}
}

func TestHelpHasNoErrorLine(t *testing.T) {
	stdout, stderr, code := runCommand(t, []string{"-h"}, "", nil, false)
	if code != cli.ExitOK || stdout != "" {
		t.Fatalf("-h: exit status %d, stdout %q", code, stdout)
	}
	if !strings.HasPrefix(stderr, "Usage: tlsrpt-summary ") {
		t.Errorf("-h output does not start with the usage line:\n%s", stderr)
	}
	if !strings.HasSuffix(stderr, "failed sessions in the rest\n") {
		t.Errorf("-h output does not end with the last exit code:\n%s", stderr)
	}
}

// TestConfigSharedWithFetch reads a -config file with tlsrpt-fetch's
// account lines, which made tlsrpt-summary fail before.
func TestConfigSharedWithFetch(t *testing.T) {
	store := writeStore(t, dailyReport("Google Inc.", "2026-05-17", "23:59:59", "example.com", 10, 2))
	config := filepath.Join(t.TempDir(), "tlsrpt.conf")
	text := "server imap.example.com\nuser tlsrpt@example.com\nmailbox TLSRPT\nstore " + store + "\n"
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCommand(t, []string{"-config", config}, "", nil, false)
	if code != cli.ExitFailure {
		t.Errorf("exit status %d, want %d for the failures in the store; stderr:\n%s", code, cli.ExitFailure, stderr)
	}
	if !strings.Contains(stdout, "certificate-expired") {
		t.Errorf("stdout lacks the failure of the store named in the -config file:\n%s", stdout)
	}
}
