package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/cli/clitest"
)

func TestFlagsListedInCLI(t *testing.T) {
	var cfg config
	clitest.CheckCommandFlags(t, newFlagSet(&cfg, io.Discard))
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 9, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want string
	}{
		{"2026-11-02", "2026-11-02"},
		{"02-Nov-2026", "2026-11-02"},
		{"2-Nov-2026", "2026-11-02"},
		{"7d", "2026-11-02"},
		{"24h", "2026-11-08"},
		{"8h", "2026-11-09"},
		{"9h", "2026-11-08"},
		{"1d12h", "2026-11-07"},
		{"2026-11-02T23:30:00-02:00", "2026-11-03"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSince(tt.in, now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format(time.RFC3339) != tt.want+"T00:00:00Z" {
				t.Errorf("parseSince(%q) = %s, want midnight UTC of %s", tt.in, got.Format(time.RFC3339), tt.want)
			}
		})
	}
	for _, bad := range []string{"yesterday", "24", "-24h", "0d", "2026-13-01"} {
		if got, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) = %s, want an error", bad, got)
		}
	}
}

func TestSinceFromEnvironment(t *testing.T) {
	var cfg config
	fs := newFlagSet(&cfg, io.Discard)
	env := map[string]string{"TLSRPT_SINCE": "24h", "IMAP_SERVER": "h", "IMAP_USER": "u", "IMAP_PASS": "p"}
	sources, err := parseFlags(fs, nil, func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	before := dayBefore(time.Now())
	_, query, err := sessionOptions(&cfg, sources)
	if err != nil {
		t.Fatalf("TLSRPT_SINCE=24h: %v", err)
	}
	after := dayBefore(time.Now())
	// The UTC date may change while sessionOptions runs.
	if !query.Since.Equal(before) && !query.Since.Equal(after) {
		t.Errorf("SEARCH SINCE %s, want %s", query.Since, after)
	}
}

// dayBefore returns midnight UTC of the date 24 hours before now.
func dayBefore(now time.Time) time.Time {
	y, m, d := now.UTC().Add(-24 * time.Hour).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func TestFlagErrorOneLine(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "typo.conf")
	if err := os.WriteFile(typo, []byte("server h\nusr u\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	account := []string{"-server", "h", "-user", "u", "-pass", "p"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-servr", "h"}, "flag provided but not defined: -servr"},
		{"not a number", append(account, "-port", "imaps"), `invalid value "imaps" for -port: want a whole number`},
		{"bool", append(account, "-mark-seen=yes"), `invalid value "yes" for -mark-seen: want true or false`},
		{"bad since", append(account, "-since", "yesterday"), `invalid -since "yesterday"`},
		{"zero batch", append(account, "-batch", "0"), `invalid value "0" for -batch: want a positive number`},
		{"negative max size", append(account, "-max-size", "-1"), `invalid value "-1" for -max-size: want a positive number`},
		{"no server", []string{"-user", "u"}, "missing -server (or IMAP_SERVER)"},
		{"config typo", []string{"-config", typo}, "-config " + typo + ` line 2: "usr" is not a flag of any tlsrpt command`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runFetch(t, nil, tt.args...)
			if res.code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d", res.code, cli.ExitUsage)
			}
			clitest.CheckOneLine(t, program, res.stderr, tt.want)
		})
	}
}

func TestConfigSharedWithSummary(t *testing.T) {
	configPath := filepath.Join(t.TempDir(), "tlsrpt.conf")
	text := "server config.example\nuser config-user\nstore /var/lib/tlsrpt/tlsrpt.jsonl\nuntil 2026-01-01\nlock-timeout 1m\n"
	if err := os.WriteFile(configPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg config
	fs := newFlagSet(&cfg, io.Discard)
	if _, err := parseFlags(fs, []string{"-config", configPath}, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if cfg.server != "config.example" || cfg.user != "config-user" {
		t.Errorf("server %q and user %q, want the values of the shared file", cfg.server, cfg.user)
	}
}
