package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

// TestFlagsAfterFile checks that flags after a file operand take effect
// and are not read as more files.
func TestFlagsAfterFile(t *testing.T) {
	var lines []string
	for day := 10; day <= 17; day++ {
		date := time.Date(2026, 5, day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		lines = append(lines, dailyReport("Google Inc.", date, "", "example.com", 9, 1))
	}
	file := writeStore(t, lines...)

	// testNow is 2026-05-18T06:00:00Z, so -since 7d starts on 2026-05-11.
	stdout, stderr, code := runCommand(t, []string{file, "-since", "7d", "-json"}, "", nil, false)
	if code != cli.ExitFailure {
		t.Fatalf("exit status %d, want %d; stderr:\n%s", code, cli.ExitFailure, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr not empty:\n%s", stderr)
	}
	var doc struct {
		Reports  int64  `json:"report-count"`
		FirstDay string `json:"first-day"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("output is not the -json document: %v\n%s", err, strings.TrimSpace(stdout))
	}
	if doc.Reports != 7 {
		t.Errorf("report-count = %d, want 7 of the 8 reports", doc.Reports)
	}
	if doc.FirstDay != "2026-05-11" {
		t.Errorf("first-day = %s, want 2026-05-11", doc.FirstDay)
	}
}
