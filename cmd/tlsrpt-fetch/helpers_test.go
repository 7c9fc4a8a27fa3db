package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/imaptest"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

// ordinaryMails are messages without a report: one with CRLF, "From "
// lines in the body and no newline at the end, one with LF whose subject
// mentions "Report Domain:" without the TLS-Report-Domain header, and a
// plain one.
var ordinaryMails = []imaptest.Message{
	{Data: []byte("From: alice@example.org\r\nTo: ops@example.net\r\nSubject: Lunch\r\nMessage-ID: <lunch@example.org>\r\n\r\nFrom the kitchen: pizza.\r\n>From a quote\r\n\r\nFrom Alice\r\nlast line without newline")},
	{Data: []byte("Return-Path: <>\nFrom: bob@example.org\nSubject: Re: Report Domain: example.org looks odd\nMessage-ID: <odd@example.org>\n\nFrom here on, nothing.\n")},
	{Data: []byte("From: carol@example.org\nSubject: weekly digest\n\nnothing new\n")},
}

// Counts over the corpus plus ordinaryMails: 11 of the 12 corpus mails
// carry TLS-Report-Domain (tlsrpt-rs/empty.eml is a cron mail), and the
// second ordinary mail matches the subject filter only.
const (
	corpusReports = 11
	wantHeader    = corpusReports
	wantSubject   = corpusReports + 1
	wantAll       = 12 + 3
)

func corpusMails(t *testing.T) []imaptest.Message {
	t.Helper()
	msgs, err := imaptest.ReadFiles(filepath.Join("..", "..", "testdata", "corpus", "*", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 12 {
		t.Fatalf("corpus has %d mails, want 12", len(msgs))
	}
	return append(msgs, ordinaryMails...)
}

func startMem(t *testing.T, opts imaptest.MemOptions) *imaptest.Server {
	t.Helper()
	s, err := imaptest.StartMemServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func startDovecot(t *testing.T) *imaptest.Server {
	t.Helper()
	s, err := imaptest.StartDovecot(t.TempDir(), imaptest.DovecotOptions{})
	if errors.Is(err, imaptest.ErrNoDovecot) && !imaptest.DovecotRequired() {
		t.Skipf("%v; set %s=1 to make this a failure", err, imaptest.RequireDovecotEnv)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

type result struct {
	code   int
	stdout []byte
	stderr string
}

// runFetch runs the command with env as its only environment.
func runFetch(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runEnv(context.Background(), args, func(name string) string { return env[name] }, &stdout, &stderr)
	if err != nil && cli.Code(err) != cli.ExitOK {
		stderr.WriteString(program + ": " + err.Error() + "\n")
	}
	return result{code: cli.Code(err), stdout: stdout.Bytes(), stderr: stderr.String()}
}

// accountArgs returns the flags for logging in to s over implicit TLS;
// the password comes from IMAP_PASS in accountEnv.
func accountArgs(t *testing.T, s *imaptest.Server) []string {
	t.Helper()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, s.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"-server", s.Host, "-port", strconv.Itoa(s.TLSPort), "-user", s.User, "-ca-file", caFile}
}

func accountEnv(s *imaptest.Server) map[string]string {
	return map[string]string{"IMAP_PASS": s.Password}
}

// readMbox splits the output with the mbox reader of tlsrpt-extract.
func readMbox(t *testing.T, data []byte) []*mbox.Message {
	t.Helper()
	r := mbox.NewReader(bytes.NewReader(data), 0)
	var msgs []*mbox.Message
	for {
		msg, err := r.Next()
		if err == io.EOF {
			return msgs
		}
		if err != nil {
			t.Fatalf("read output as mbox: %v", err)
		}
		msgs = append(msgs, msg)
	}
}
