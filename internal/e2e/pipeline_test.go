package e2e

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/imaptest"
	"github.com/tlsrpt/tlsrpt/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// crontab is a parsed crontab: environment lines and job commands.
type crontab struct {
	env  []string
	jobs []string
}

func parseCrontab(t *testing.T, text string) crontab {
	t.Helper()
	var tab crontab
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0 || strings.HasPrefix(fields[0], "#"):
		case len(fields) == 1 && strings.Contains(fields[0], "="):
			tab.env = append(tab.env, fields[0])
		case len(fields) > 5:
			// Five time fields, then the command as the rest of the line.
			rest := line
			for range 5 {
				rest = strings.TrimLeft(rest, " \t")
				rest = rest[strings.IndexAny(rest, " \t"):]
			}
			tab.jobs = append(tab.jobs, strings.TrimSpace(rest))
		default:
			t.Fatalf("crontab line %q is neither NAME=value nor a job", line)
		}
	}
	return tab
}

// runJob runs a command line with /bin/sh as cron does and returns its
// standard output, standard error and exit status.
func runJob(t *testing.T, command string, env []string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatalf("%s: %v", command, err)
	}
	return out.String(), errOut.String(), code
}

// recentReportMail returns an RFC 8460 section 5.3 report mail whose
// report covers the day before now and counts failures, so that a
// "-since 7d" overview has something to show.
func recentReportMail(now time.Time) imaptest.Message {
	day := now.UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	r := &report.Report{
		OrganizationName: "Example Sender",
		Start:            day,
		End:              day.Add(24*time.Hour - time.Second),
		ContactInfo:      "tlsrpt@sender.example",
		ReportID:         day.Format("2006-01-02") + "_example.net",
		Policies: []report.Policy{{
			Type:       "sts",
			Strings:    []string{"version: STSv1", "mode: enforce", "mx: mx.example.net", "max_age: 86400"},
			Domain:     "example.net",
			MXHosts:    []string{"mx.example.net"},
			Successful: 90,
			Failed:     10,
			FailureDetails: []report.FailureDetail{{
				ResultType:          "certificate-expired",
				SendingMTAIP:        "192.0.2.25",
				ReceivingMXHostname: "mx.example.net",
				FailedSessionCount:  10,
			}},
		}},
	}
	payload := base64.StdEncoding.EncodeToString(r.AppendRFC(nil))
	mail := "From: tlsrpt@sender.example\r\nTo: reports@example.net\r\n" +
		"Subject: Report Domain: example.net Submitter: sender.example Report-ID: <" + r.ReportID + ">\r\n" +
		"Date: " + now.UTC().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <" + r.ReportID + "@sender.example>\r\n" +
		"TLS-Report-Domain: example.net\r\nTLS-Report-Submitter: sender.example\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate TLS report from sender.example.\r\n" +
		"--b1\r\nContent-Type: application/tlsrpt+json\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=\"sender.example!example.net!" +
		fmt.Sprint(r.Start.Unix()) + "!" + fmt.Sprint(r.End.Unix()) + ".json\"\r\n\r\n" +
		payload + "\r\n--b1--\r\n"
	return imaptest.Message{Data: []byte(mail), InternalDate: now}
}

func TestRecipeCrontab(t *testing.T) {
	messages, err := imaptest.ReadFiles(filepath.Join(repoRoot, "testdata", "corpus", "*", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	messages = append(messages, recentReportMail(time.Now()))
	server, err := imaptest.StartMemServer(imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": messages}})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	dir := t.TempDir()
	for _, sub := range []string{"var", "etc"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	installHourly(t, dir)
	tab := parseCrontab(t, localize(recipe(t, "crontab"), dir))
	if len(tab.jobs) != 2 {
		t.Fatalf("crontab recipe has %d jobs, want the hourly and the weekly one", len(tab.jobs))
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "imap-password"), []byte(server.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, server.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	// cron gives a job only HOME, SHELL, LOGNAME and the crontab's own
	// variables. The crontab names a real server; point it at the test server.
	env := append([]string{"HOME=" + dir, "SHELL=/bin/sh", "LOGNAME=tlsrpt"}, tab.env...)
	env = append(env, "IMAP_SERVER="+server.Host, fmt.Sprintf("IMAP_PORT=%d", server.TLSPort),
		"IMAP_USER="+server.User, "TLSRPT_CA_FILE="+caFile)

	hourly, weekly := tab.jobs[0], tab.jobs[1]
	out, errOut, code := runJob(t, hourly, env)
	if code != 1 {
		t.Errorf("first hourly run: exit status %d, want 1 (failures found)\nstderr: %s", code, errOut)
	}
	for _, want := range []string{"company-y.example", "example.com", "krvtz.net", "example.net", "certificate-expired"} {
		if !strings.Contains(out, want) {
			t.Errorf("first hourly run: the alert does not mention %q:\n%s", want, out)
		}
	}
	stored := storeContent(t, filepath.Join(dir, "var", "tlsrpt.jsonl"))
	if len(stored) != 12 {
		t.Errorf("store holds %d reports after the first run, want 12 (11 corpus reports and the recent one)", len(stored))
	}

	out, errOut, code = runJob(t, hourly, env)
	if code != 0 || out != "" {
		t.Errorf("second hourly run: exit status %d and output %q, want 0 and nothing (no new mail)\nstderr: %s", code, out, errOut)
	}

	out, errOut, code = runJob(t, weekly, env)
	if code != 1 {
		t.Errorf("weekly run: exit status %d, want 1 (the recent report has failures)\nstderr: %s", code, errOut)
	}
	if !strings.Contains(out, "1 report") || !strings.Contains(out, "example.net") {
		t.Errorf("weekly run: the overview should cover the one report of the last 7 days:\n%s", out)
	}
	if strings.Contains(out, "company-y.example") {
		t.Errorf("weekly run: the overview includes a report from 2016:\n%s", out)
	}
}

// startCorpusServer starts an in-memory IMAP server holding the corpus
// mails, closed when the test ends.
func startCorpusServer(t *testing.T) *imaptest.Server {
	t.Helper()
	messages, err := imaptest.ReadFiles(filepath.Join(repoRoot, "testdata", "corpus", "*", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	server, err := imaptest.StartMemServer(imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": messages}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server
}

// installHourly writes the hourly script recipe to dir/sbin, where the
// localized crontab and unit look for it.
func installHourly(t *testing.T, dir string) string {
	t.Helper()
	sbin := filepath.Join(dir, "sbin")
	if err := os.MkdirAll(sbin, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sbin, "tlsrpt-hourly")
	if err := os.WriteFile(path, []byte(localize(recipe(t, "hourly"), dir)), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHourlyRetriesAfterStoreFailure(t *testing.T) {
	server := startCorpusServer(t)

	dir := t.TempDir()
	hourly := installHourly(t, dir)
	varDir := filepath.Join(dir, "var")
	store := filepath.Join(varDir, "tlsrpt.jsonl")
	caFile := filepath.Join(dir, "ca.pem")
	passFile := filepath.Join(dir, "imap-password")
	for path, data := range map[string][]byte{caFile: server.CAPEM, passFile: []byte(server.Password + "\n")} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := testEnv(dir, "IMAP_SERVER="+server.Host, fmt.Sprintf("IMAP_PORT=%d", server.TLSPort),
		"IMAP_USER="+server.User, "IMAP_PASS_FILE="+passFile, "TLSRPT_STORE="+store, "TLSRPT_CA_FILE="+caFile)

	// A directory where the store should be: tlsrpt-ingest cannot append,
	// after tlsrpt-fetch has handed every mail over.
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runJob(t, hourly, env)
	if code != cli.ExitTempFail {
		t.Errorf("run with a blocked store: exit status %d, want tlsrpt-ingest's 75\nstderr: %s", code, errOut)
	}
	if !strings.Contains(errOut, "tlsrpt-ingest failed with status 75; fetch.state is unchanged") {
		t.Errorf("run with a blocked store: stderr does not name the failed command:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(varDir, "fetch.state")); err == nil {
		t.Errorf("run with a blocked store: fetch.state was written, so the next run would skip these mails")
	}

	if err := os.Remove(store); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runJob(t, hourly, env)
	if code != 1 || !strings.Contains(out, "company-y.example") {
		t.Errorf("run after the store was fixed: exit status %d, want 1 with the failures\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := len(storeContent(t, store)); n != 11 {
		t.Errorf("store holds %d reports after the retry, want the 11 of the corpus", n)
	}

	out, errOut, code = runJob(t, hourly, env)
	if code != 0 || out != "" {
		t.Errorf("third run: exit status %d and output %q, want 0 and nothing\nstderr: %s", code, out, errOut)
	}

	// A run that starts while another holds the lock stops at once.
	lock, err := os.OpenFile(filepath.Join(varDir, "hourly.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runJob(t, hourly, env)
	if code != cli.ExitTempFail || !strings.Contains(errOut, "another run is still going on") {
		t.Errorf("run beside another: exit status %d, want 75 and a message\nstderr: %s", code, errOut)
	}
}

// systemdUnit returns the value of key in a unit file recipe.
func systemdUnit(t *testing.T, text, key string) string {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if value, ok := strings.CutPrefix(line, key+"="); ok {
			return value
		}
	}
	t.Fatalf("unit has no %s= line:\n%s", key, text)
	return ""
}

func TestRecipeSystemd(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"var", "etc"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	installHourly(t, dir)
	service := localize(recipe(t, "systemd-service"), dir)
	timer := recipe(t, "systemd-timer")

	if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
		units := filepath.Join(dir, "units")
		if err := os.Mkdir(units, 0o755); err != nil {
			t.Fatal(err)
		}
		// The EnvironmentFile must exist for verify to pass.
		envFile := systemdUnit(t, service, "EnvironmentFile")
		if err := os.WriteFile(envFile, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for name, text := range map[string]string{"tlsrpt.service": service, "tlsrpt.timer": timer} {
			if err := os.WriteFile(filepath.Join(units, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(analyze, "verify", "--man=no", filepath.Join(units, "tlsrpt.service"), filepath.Join(units, "tlsrpt.timer"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	} else {
		t.Log("systemd-analyze not found; the unit files are not verified")
	}

	// Run ExecStart the way systemd would, with the EnvironmentFile's variables.
	server := startCorpusServer(t)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, server.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(dir, "etc", "imap-password")
	if err := os.WriteFile(passFile, []byte(server.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "var", "tlsrpt.jsonl")
	env := testEnv(dir, "IMAP_SERVER="+server.Host, fmt.Sprintf("IMAP_PORT=%d", server.TLSPort),
		"IMAP_USER="+server.User, "IMAP_PASS_FILE="+passFile, "TLSRPT_STORE="+store, "TLSRPT_CA_FILE="+caFile)

	execStart := systemdUnit(t, service, "ExecStart")
	out, errOut, code := runJob(t, execStart, env)
	if code != 1 || !strings.Contains(out, "company-y.example") {
		t.Errorf("ExecStart: exit status %d, want 1 with the failures on stdout\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := len(storeContent(t, store)); n != 11 {
		t.Errorf("store holds %d reports, want 11", n)
	}

	// A fetch that cannot log in must fail the unit, although the last
	// command of the pipe, tlsrpt-summary, finds nothing and exits with 0.
	if err := os.WriteFile(passFile, []byte("wrong-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runJob(t, execStart, env)
	if code == 0 {
		t.Errorf("ExecStart with a wrong password: exit status 0, want the failure of tlsrpt-fetch\nstderr: %s", errOut)
	}
	if !strings.Contains(errOut, "tlsrpt-fetch") {
		t.Errorf("ExecStart with a wrong password: stderr does not name tlsrpt-fetch:\n%s", errOut)
	}
}

// TestDovecotPipeline delivers the corpus into a real Dovecot mailbox and
// runs the whole pipeline twice: the first run stores every report and
// alerts, the second stores nothing and stays silent.
func TestDovecotPipeline(t *testing.T) {
	dir := t.TempDir()
	server, err := imaptest.StartDovecot(filepath.Join(dir, "dovecot"), imaptest.DovecotOptions{})
	if errors.Is(err, imaptest.ErrNoDovecot) && !imaptest.DovecotRequired() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	messages, err := imaptest.ReadFiles(filepath.Join(repoRoot, "testdata", "corpus", "*", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Append("INBOX", messages...); err != nil {
		t.Fatal(err)
	}

	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, server.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "tlsrpt.jsonl")
	env := testEnv(dir, "IMAP_SERVER="+server.Host, fmt.Sprintf("IMAP_PORT=%d", server.TLSPort),
		"IMAP_USER="+server.User, "IMAP_PASS="+server.Password, "TLSRPT_CA_FILE="+caFile, "TLSRPT_STORE="+store)
	pipeline := "tlsrpt-fetch -state " + filepath.Join(dir, "fetch.state") + " | tlsrpt-extract | tlsrpt-ingest | tlsrpt-summary -"

	out, errOut, code := runJob(t, pipeline, env)
	if code != 1 {
		t.Errorf("first run: exit status %d, want 1 (failures found)\nstderr: %s", code, errOut)
	}
	golden(t, "dovecot-summary.golden", out)
	first, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(storeContent(t, store)); n != 11 {
		t.Errorf("first run stored %d reports, want 11", n)
	}

	out, errOut, code = runJob(t, pipeline, env)
	if code != 0 || out != "" {
		t.Errorf("second run: exit status %d and output %q, want 0 and nothing\nstderr: %s", code, out, errOut)
	}
	second, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("second run changed the store")
	}

	// Without -state everything is fetched again, and ingest's dedup keeps
	// the store as it was.
	out, errOut, code = runJob(t, "tlsrpt-fetch | tlsrpt-extract | tlsrpt-ingest", env)
	if code != 0 || out != "" {
		t.Errorf("run without -state: exit status %d and output %q, want 0 and nothing new\nstderr: %s", code, out, errOut)
	}
	third, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, third) {
		t.Errorf("run without -state changed the store")
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
