package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/report"
)

// dailyReport returns one store line: a report from org for the UTC day
// of start, with one sts policy for domain in enforce mode.
func dailyReport(org, day, endStyle, domain string, successful, failed int64) string {
	start, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	end := start.Add(24 * time.Hour)
	if endStyle == "23:59:59" {
		end = end.Add(-time.Second)
	}
	pol := report.Policy{
		Type:       "sts",
		Strings:    []string{"version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"},
		Domain:     domain,
		MXHosts:    []string{"mx.example.com"},
		Successful: successful,
		Failed:     failed,
	}
	if failed > 0 {
		pol.FailureDetails = []report.FailureDetail{{
			ResultType:          "certificate-expired",
			SendingMTAIP:        "192.0.2.1",
			ReceivingMXHostname: "mx.example.com",
			ReceivingIP:         "198.51.100.7",
			FailedSessionCount:  failed,
		}}
	}
	r := &report.Report{
		OrganizationName: org,
		Start:            start,
		End:              end,
		ContactInfo:      "tlsrpt@" + strings.ToLower(strings.Fields(org)[0]) + ".example",
		ReportID:         org + "-" + day + "-" + domain,
		Policies:         []report.Policy{pol},
		Ingested:         start.Add(30 * time.Hour),
	}
	return string(r.AppendJSON(nil)) + "\n"
}

func writeStore(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tlsrpt.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExitStatus(t *testing.T) {
	good := dailyReport("Google Inc.", "2026-05-16", "23:59:59", "example.com", 10, 0)
	bad := dailyReport("Google Inc.", "2026-05-17", "23:59:59", "example.com", 10, 2)
	garbage := "{\"organization-name\": \"Org\"\n"

	tests := []struct {
		name       string
		lines      []string
		args       []string
		wantCode   int
		wantStdout bool
		wantStderr string // a substring; "" means stderr must be empty
	}{
		{"no failures", []string{good}, nil, cli.ExitOK, false, ""},
		{"failures", []string{good, bad}, nil, cli.ExitFailure, true, ""},
		{"failures outside period", []string{good, bad}, []string{"-until", "2026-05-16"}, cli.ExitOK, false, ""},
		{"empty store", nil, nil, cli.ExitOK, false, ""},
		{"unreadable line", []string{good, garbage, good}, nil, cli.ExitDataErr, false, "line=2"},
		{"unreadable line and failures", []string{garbage, bad}, nil, cli.ExitFailure, true, "1 unreadable line was skipped"},
		{"unknown flag", []string{good}, []string{"-x"}, cli.ExitUsage, false, "flag provided but not defined: -x"},
		{"invalid since", []string{good}, []string{"-since", "last week"}, cli.ExitUsage, false, `-since: invalid value "last week"`},
		{"invalid until", []string{good}, []string{"-until", "2026-02-30"}, cli.ExitUsage, false, "-until: invalid value"},
		{"empty period", []string{good}, []string{"-since", "2026-05-17", "-until", "2026-05-16"}, cli.ExitUsage, false, "is empty"},
		{"help", []string{good}, []string{"-h"}, cli.ExitOK, false, "Exit status:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := writeStore(t, tt.lines...)
			stdout, stderr, code := runCommand(t, append([]string{"-store", store}, tt.args...), "", nil, false)
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if got := stdout != ""; got != tt.wantStdout {
				t.Errorf("stdout written = %v, want %v:\n%s", got, tt.wantStdout, stdout)
			}
			if tt.wantStderr == "" && stderr != "" {
				t.Errorf("stderr not empty:\n%s", stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}

func TestUnreadableLineNamed(t *testing.T) {
	store := writeStore(t, dailyReport("Google Inc.", "2026-05-16", "", "example.com", 1, 0), "not json\n")
	_, stderr, code := runCommand(t, []string{"-store", store}, "", nil, false)
	if code != cli.ExitDataErr {
		t.Errorf("exit status %d, want %d", code, cli.ExitDataErr)
	}
	for _, want := range []string{"input=" + store, "line=2", "not a usable RFC 8460 report"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr)
		}
	}
}

func TestMissingStore(t *testing.T) {
	store := filepath.Join(t.TempDir(), "none.jsonl")
	_, stderr, code := runCommand(t, []string{"-store", store}, "", nil, false)
	if code != cli.ExitDataErr {
		t.Errorf("exit status %d, want %d", code, cli.ExitDataErr)
	}
	if !strings.Contains(stderr, "TLSRPT_STORE") {
		t.Errorf("stderr does not say how to set the store:\n%s", stderr)
	}
}

func TestTornLastLine(t *testing.T) {
	good := dailyReport("Google Inc.", "2026-05-16", "", "example.com", 10, 0)
	torn := strings.TrimSuffix(dailyReport("Google Inc.", "2026-05-17", "", "example.com", 10, 2), "\n")

	store := writeStore(t, good, torn)
	stdout, stderr, code := runCommand(t, []string{"-store", store}, "", nil, false)
	if code != cli.ExitOK {
		t.Errorf("store: exit status %d, want %d", code, cli.ExitOK)
	}
	if stdout != "" {
		t.Errorf("store: the torn line was summarised:\n%s", stdout)
	}
	if !strings.Contains(stderr, "torn last line skipped") || !strings.Contains(stderr, "line=2") {
		t.Errorf("store: no warning naming the torn line:\n%s", stderr)
	}

	// A file argument or standard input is not the store: jq and editors
	// may leave out the final newline.
	_, _, code = runCommand(t, []string{"-"}, good+torn, nil, false)
	if code != cli.ExitFailure {
		t.Errorf("stdin: exit status %d, want %d: the last line was not read", code, cli.ExitFailure)
	}
}

func TestStdinVersusStore(t *testing.T) {
	storeLine := dailyReport("Google Inc.", "2026-05-16", "", "store.example", 10, 1)
	stdinLine := dailyReport("Google Inc.", "2026-05-16", "", "stdin.example", 10, 1)
	fileLine := dailyReport("Google Inc.", "2026-05-16", "", "file.example", 10, 1)
	store := writeStore(t, storeLine)
	file := writeStore(t, fileLine)

	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"no arguments read the store, not stdin", nil, []string{"store.example"}, []string{"stdin.example"}},
		{"dash reads stdin", []string{"-"}, []string{"stdin.example"}, []string{"store.example"}},
		{"file replaces the store", []string{file}, []string{"file.example"}, []string{"store.example", "stdin.example"}},
		{"file and dash", []string{file, "-"}, []string{"file.example", "stdin.example"}, []string{"store.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			t.Setenv("TLSRPT_STORE", store)
			stdout, stderr, code := runCommand(t, tt.args, stdinLine, env, false)
			if code != cli.ExitFailure {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, cli.ExitFailure, stderr)
			}
			for _, domain := range tt.want {
				if !strings.Contains(stdout, domain) {
					t.Errorf("output lacks %s:\n%s", domain, stdout)
				}
			}
			for _, domain := range tt.notWant {
				if strings.Contains(stdout, domain) {
					t.Errorf("output contains %s:\n%s", domain, stdout)
				}
			}
		})
	}
}

func TestColor(t *testing.T) {
	store := writeStore(t, dailyReport("Google Inc.", "2026-05-16", "", "example.com", 10, 1))
	tests := []struct {
		name     string
		env      map[string]string
		terminal bool
		want     bool
	}{
		{"terminal", nil, true, true},
		{"pipe", nil, false, false},
		{"terminal with NO_COLOR", map[string]string{"NO_COLOR": "1"}, true, false},
		{"terminal with empty NO_COLOR", map[string]string{"NO_COLOR": ""}, true, true},
		{"dumb terminal", map[string]string{"TERM": "dumb"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, args := range [][]string{{"-store", store}, {"-store", store, "-v"}} {
				stdout, _, _ := runCommand(t, args, "", tt.env, tt.terminal)
				if got := strings.Contains(stdout, "\x1b["); got != tt.want {
					t.Errorf("%v: colour = %v, want %v:\n%q", args, got, tt.want, stdout)
				}
			}
		})
	}
}

// A Microsoft report carries the same sessions under a tlsa and an sts
// policy of one domain. Each must be shown on its own, never added up.
func TestTLSAAndSTSKeptApart(t *testing.T) {
	line := `{"organization-name":"Microsoft Corporation","date-range":{"start-datetime":"2026-05-16T00:00:00Z","end-datetime":"2026-05-17T00:00:00Z"},` +
		`"contact-info":"tlsrpt-noreply@microsoft.com","report-id":"133456","policies":[` +
		`{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.example.com","max_age: 604800"],"policy-domain":"example.com"},` +
		`"summary":{"total-successful-session-count":7,"total-failure-session-count":3},"failure-details":[{"result-type":"certificate-host-mismatch","failed-session-count":3}]},` +
		`{"policy":{"policy-type":"tlsa","policy-string":["[\"3 1 1 AB\"]"],"policy-domain":"example.com"},` +
		`"summary":{"total-successful-session-count":7,"total-failure-session-count":3},"failure-details":[{"result-type":"certificate-host-mismatch","failed-session-count":3}]}]}` + "\n"

	stdout, _, code := runCommand(t, []string{"-"}, line, nil, false)
	if code != cli.ExitFailure {
		t.Errorf("exit status %d, want %d", code, cli.ExitFailure)
	}
	for _, heading := range []string{"example.com  sts  mode testing\n", "example.com  tlsa\n"} {
		if strings.Count(stdout, heading) != 1 {
			t.Errorf("output does not hold the heading %q once:\n%s", heading, stdout)
		}
	}
	if strings.Count(stdout, "3 failed, 7 successful") != 2 || strings.Contains(stdout, "6 failed") {
		t.Errorf("sts and tlsa sessions were added up or lost:\n%s", stdout)
	}

	jsonOut, _, _ := runCommand(t, []string{"-json", "-"}, line, nil, false)
	var doc struct {
		Policies []struct {
			Type   string `json:"policy-type"`
			Failed int64  `json:"total-failure-session-count"`
		} `json:"policies"`
		Days []struct {
			Type   string `json:"policy-type"`
			Failed int64  `json:"total-failure-session-count"`
		} `json:"days"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Policies) != 2 || doc.Policies[0].Failed != 3 || doc.Policies[1].Failed != 3 {
		t.Errorf("-json policies = %+v, want sts and tlsa with 3 failed each", doc.Policies)
	}
	if len(doc.Days) != 2 || doc.Days[0].Failed != 3 || doc.Days[1].Failed != 3 {
		t.Errorf("-json days = %+v, want sts and tlsa with 3 failed each", doc.Days)
	}
}

// The reports for one domain from 2026-05-10 to 2026-05-17 alternate the
// two ways of writing the end; each day holds one failed session.
func TestPeriodFlags(t *testing.T) {
	var lines []string
	for day := 10; day <= 17; day++ {
		style := "midnight"
		if day%2 == 0 {
			style = "23:59:59"
		}
		lines = append(lines, dailyReport("Google Inc.", time.Date(2026, 5, day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), style, "example.com", 9, 1))
	}
	store := writeStore(t, lines...)

	// testNow is 2026-05-18T06:00:00Z.
	tests := []struct {
		args      []string
		wantDays  []string
		wantCount int64
	}{
		{nil, []string{"2026-05-10", "2026-05-17"}, 8},
		{[]string{"-since", "2026-05-12"}, []string{"2026-05-12", "2026-05-17"}, 6},
		{[]string{"-until", "2026-05-12"}, []string{"2026-05-10", "2026-05-12"}, 3},
		{[]string{"-since", "2026-05-12", "-until", "2026-05-12"}, []string{"2026-05-12", "2026-05-12"}, 1},
		{[]string{"-since", "2026-05-13", "-until", "2026-05-13"}, []string{"2026-05-13", "2026-05-13"}, 1},
		{[]string{"-since", "2026-05-12T00:00:00Z", "-until", "2026-05-13T00:00:00Z"}, []string{"2026-05-12", "2026-05-12"}, 1},
		{[]string{"-since", "2026-05-12T23:59:59Z", "-until", "2026-05-13T00:00:01Z"}, []string{"2026-05-12", "2026-05-13"}, 2},
		{[]string{"-since", "2026-05-13T00:00:00Z", "-until", "2026-05-14T00:00:00Z"}, []string{"2026-05-13", "2026-05-13"}, 1},
		{[]string{"-since", "7d"}, []string{"2026-05-11", "2026-05-17"}, 7},
		{[]string{"-since", "24h"}, []string{"2026-05-17", "2026-05-17"}, 1},
		{[]string{"-since", "30h"}, []string{"2026-05-17", "2026-05-17"}, 1}, // since 2026-05-17T00:00:00Z
		{[]string{"-since", "31h"}, []string{"2026-05-16", "2026-05-17"}, 2},
		{[]string{"-since", "7d", "-until", "2d"}, []string{"2026-05-11", "2026-05-16"}, 6},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runCommand(t, append([]string{"-store", store, "-json"}, tt.args...), "", nil, false)
			if code != cli.ExitFailure {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, cli.ExitFailure, stderr)
			}
			var doc struct {
				Reports  int64  `json:"report-count"`
				FirstDay string `json:"first-day"`
				LastDay  string `json:"last-day"`
				Policies []struct {
					Failed int64 `json:"total-failure-session-count"`
				} `json:"policies"`
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Reports != tt.wantCount {
				t.Errorf("report-count = %d, want %d", doc.Reports, tt.wantCount)
			}
			if doc.FirstDay != tt.wantDays[0] || doc.LastDay != tt.wantDays[1] {
				t.Errorf("days %s to %s, want %s to %s", doc.FirstDay, doc.LastDay, tt.wantDays[0], tt.wantDays[1])
			}
			if len(doc.Policies) != 1 || doc.Policies[0].Failed != tt.wantCount {
				t.Errorf("policies = %+v, want one with %d failed sessions", doc.Policies, tt.wantCount)
			}
		})
	}
}

// TestBinary runs the built command as cron would: stdin not a terminal,
// output to pipes, exit status from the process.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), program)
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	good := dailyReport("Google Inc.", "2026-05-16", "", "example.com", 10, 0)
	bad := dailyReport("Google Inc.", "2026-05-17", "", "example.com", 10, 2)
	tests := []struct {
		name     string
		store    string
		wantCode int
		wantOut  bool
	}{
		{"quiet when all is well", good, cli.ExitOK, false},
		{"loud on failures", good + bad, cli.ExitFailure, true},
		{"unreadable", good + "x\n", cli.ExitDataErr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin)
			cmd.Dir = t.TempDir()
			if err := os.WriteFile(filepath.Join(cmd.Dir, "tlsrpt.jsonl"), []byte(tt.store), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(os.Environ(), "TLSRPT_STORE=")
			cmd.Stdin = strings.NewReader(bad) // must be ignored: no "-" argument
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if exitErr, ok := err.(*exec.ExitError); ok {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if got := stdout.Len() > 0; got != tt.wantOut {
				t.Errorf("stdout written = %v, want %v:\n%s", got, tt.wantOut, stdout.String())
			}
			if strings.Contains(stdout.String(), "\x1b[") {
				t.Errorf("colour written to a pipe:\n%q", stdout.String())
			}
		})
	}
}
