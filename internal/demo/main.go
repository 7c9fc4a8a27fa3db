// Command demo runs the whole tlsrpt job on the real sample reports in
// testdata/corpus. It serves them, with a few ordinary mails, from an
// in-memory IMAP server on 127.0.0.1. It then pipes tlsrpt-fetch into
// tlsrpt-extract and tlsrpt-ingest to fill a temporary store, and shows what
// tlsrpt-summary makes of it. `make demo` builds the commands and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/imaptest"
)

const (
	demoUser     = "reports@example.net"
	demoPassword = "demo-password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	binDir := fs.String("bin", "bin", "directory holding the built tlsrpt commands")
	corpus := fs.String("corpus", "testdata/corpus", "directory of sample report mails (*.eml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, err := filepath.Abs(*binDir)
	if err != nil {
		return err
	}
	for _, name := range []string{"tlsrpt-fetch", "tlsrpt-extract", "tlsrpt-ingest", "tlsrpt-summary"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return fmt.Errorf("%s not found in %s: run `make build` first", name, bin)
		}
	}

	messages, err := loadMessages(*corpus)
	if err != nil {
		return err
	}
	server, err := imaptest.StartMemServer(imaptest.MemOptions{
		User:      demoUser,
		Password:  demoPassword,
		Mailboxes: map[string][]imaptest.Message{"INBOX": messages},
	})
	if err != nil {
		return fmt.Errorf("start the IMAP server: %w", err)
	}
	defer server.Close()

	dir, err := os.MkdirTemp("", "tlsrpt-demo-")
	if err != nil {
		return err
	}
	passFile := filepath.Join(dir, "imap-password")
	if err := os.WriteFile(passFile, []byte(demoPassword+"\n"), 0o600); err != nil {
		return err
	}
	// The server's certificate is self-signed; tlsrpt-fetch verifies it
	// against this file, as it would a private CA.
	caFile := filepath.Join(dir, "demo-ca.pem")
	if err := os.WriteFile(caFile, server.CAPEM, 0o644); err != nil {
		return err
	}
	store := filepath.Join(dir, "tlsrpt.jsonl")
	host, port := server.Host, strconv.Itoa(server.TLSPort)

	fmt.Fprintf(stdout, "An IMAP server on %s holds %d mails for %s: the report mails of testdata/corpus and a few ordinary ones.\n\n",
		server.TLSAddr(), len(messages), demoUser)
	sh := shell{
		ctx:    ctx,
		dir:    dir,
		stdout: stdout,
		stderr: stderr,
		env: append(os.Environ(),
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"IMAP_SERVER="+host,
			"IMAP_PORT="+port,
			"IMAP_USER="+demoUser,
			"IMAP_PASS_FILE="+passFile,
			"TLSRPT_CA_FILE="+caFile,
			"TLSRPT_STORE="+store,
		),
	}
	fmt.Fprintf(stdout, "The commands below run in %s, with this environment:\n  IMAP_SERVER=%s IMAP_PORT=%s IMAP_USER=%s\n  IMAP_PASS_FILE=%s\n  TLSRPT_CA_FILE=%s\n  TLSRPT_STORE=%s\n\n",
		dir, host, port, demoUser, passFile, caFile, store)

	steps := []struct {
		title, command string
		failureExit    bool // exit status 1 means "failures found", not an error
	}{
		{"Fetch the report mails, extract the reports and store the new ones:",
			"tlsrpt-fetch -v -state fetch.state | tlsrpt-extract -rejects rejects.mbox | tlsrpt-ingest -v > new-reports.ndjson", false},
		{"What an hourly cron job would mail you: the failures in the reports just stored.",
			"tlsrpt-summary new-reports.ndjson", true},
		{"The weekly overview (here over all stored reports):",
			"tlsrpt-summary -v", true},
		{"A second run finds no new mail, so it stores nothing and alerts on nothing:",
			"tlsrpt-fetch -state fetch.state | tlsrpt-extract | tlsrpt-ingest | tlsrpt-summary -", true},
	}
	for _, step := range steps {
		if err := sh.run(step.title, step.command, step.failureExit); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "The store is %s (one report per line). Try:\n  jq -c '{\"organization-name\", \"report-id\"}' %s\nRemove %s when done.\n",
		store, store, dir)
	return nil
}

// shell runs pipelines with /bin/sh, as a user would type them.
type shell struct {
	ctx            context.Context
	dir            string
	env            []string
	stdout, stderr io.Writer
}

func (s shell) run(title, command string, failureExit bool) error {
	fmt.Fprintf(s.stdout, "%s\n$ %s\n", title, command)
	cmd := exec.CommandContext(s.ctx, "/bin/sh", "-c", command)
	cmd.Dir = s.dir
	cmd.Env = s.env
	cmd.Stdout = s.stdout
	cmd.Stderr = s.stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		fmt.Fprintf(s.stdout, "(exit status 0)\n\n")
	case failureExit && errors.As(err, &exitErr) && exitErr.ExitCode() == 1:
		fmt.Fprintf(s.stdout, "(exit status 1: failures found)\n\n")
	default:
		return fmt.Errorf("%s: %w", command, err)
	}
	return nil
}

// loadMessages reads the corpus mails and adds a few mails that are not
// reports, which tlsrpt-fetch must leave alone.
func loadMessages(dir string) ([]imaptest.Message, error) {
	messages, err := imaptest.ReadFiles(filepath.Join(dir, "*", "*.eml"))
	if err != nil {
		return nil, fmt.Errorf("read the sample mails: %w", err)
	}
	if len(messages) == 0 {
		return nil, fmt.Errorf("no *.eml files under %s: run the demo from the repository root", dir)
	}
	date := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	for _, data := range ordinaryMails {
		messages = append(messages, imaptest.Message{Data: []byte(data), InternalDate: date})
		date = date.Add(time.Hour)
	}
	return messages, nil
}

var ordinaryMails = []string{
	"From: Backup <root@mail.example.net>\r\nTo: reports@example.net\r\nSubject: backup finished\r\n" +
		"Date: Mon, 30 Nov 2026 03:00:00 +0000\r\nMessage-ID: <backup-20261130@mail.example.net>\r\n\r\n" +
		"The nightly backup finished without errors.\r\n",
	"From: Postmaster <postmaster@example.org>\r\nTo: reports@example.net\r\nSubject: Re: Report Domain: example.net question\r\n" +
		"Date: Mon, 30 Nov 2026 09:12:00 +0000\r\nMessage-ID: <question-1@example.org>\r\n\r\n" +
		"Are you receiving our TLS reports?\r\n",
}
