package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/fetch"
	"github.com/tlsrpt/tlsrpt/internal/imaptest"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

func TestRoundTripByteExact(t *testing.T) {
	mails := corpusMails(t)
	date := time.Date(2026, 11, 2, 9, 8, 7, 0, time.UTC)
	for i := range mails {
		mails[i].InternalDate = date.Add(time.Duration(i) * time.Minute)
	}
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": mails}})

	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-filter", "all")...)
	if res.code != cli.ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	checkRoundTrip(t, s, "INBOX", res.stdout)

	got := readMbox(t, res.stdout)
	// go-imap's memory server stores the header with CRLF, so only mails
	// that use CRLF throughout come back as they were appended: the first
	// ordinary mail (CRLF, "From " lines, no final newline) and
	// mox/example.eml.
	for _, i := range []int{1, 12} {
		if !bytes.Equal(got[i].Data, mails[i].Data) {
			t.Errorf("message %d differs from the mail appended:\n got %q\nwant %q", i+1, firstBytes(got[i].Data), firstBytes(mails[i].Data))
		}
	}

	wantPostmarks := map[int]string{
		0:  mbox.Postmark("tlsrpt@mail.sender.example.com", mails[0].InternalDate), // no Return-Path: ENVELOPE from
		1:  mbox.Postmark("3fkskYxoKAMUyz2p0w9-3x40-4w3-2p0z24tyrrzzrwp.nzx@smtp-tls-reporting.bounces.google.com", mails[1].InternalDate),
		8:  mbox.Postmark("3urpozhokal4rsvitp2-wqxt-xpw-vitsvxmrkksskpi.gsq@smtp-tls-reporting.bounces.google.com", mails[8].InternalDate),
		12: mbox.Postmark("alice@example.org", mails[12].InternalDate),
		13: mbox.Postmark("", mails[13].InternalDate), // Return-Path: <>
	}
	for i, want := range wantPostmarks {
		if got[i].Postmark != want {
			t.Errorf("postmark of message %d = %q, want %q", i+1, got[i].Postmark, want)
		}
	}
}

// checkRoundTrip reads the mbox output with the reader of tlsrpt-extract
// and compares each message with the bytes the server holds.
func checkRoundTrip(t *testing.T, s *imaptest.Server, mailbox string, output []byte) {
	t.Helper()
	stored, err := s.Messages(mailbox)
	if err != nil {
		t.Fatal(err)
	}
	got := readMbox(t, output)
	if len(got) != len(stored) {
		t.Fatalf("got %d messages, want %d", len(got), len(stored))
	}
	for i, msg := range got {
		if !bytes.Equal(msg.Data, stored[i].Data) {
			t.Errorf("message %d (UID %d) differs after the round trip:\n got %q\nwant %q", i+1, stored[i].UID, firstBytes(msg.Data), firstBytes(stored[i].Data))
		}
	}
}

func firstBytes(b []byte) []byte {
	return b[:min(len(b), 200)]
}

func TestFilterMemServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts imaptest.MemOptions
		args []string
		want int
		// fallback is whether the warning about client-side filtering
		// must appear.
		fallback bool
	}{
		{name: "header", args: []string{"-filter", "header"}, want: wantHeader},
		{name: "default is header", want: wantHeader},
		{name: "subject", args: []string{"-filter", "subject"}, want: wantSubject},
		{name: "all", args: []string{"-filter", "all"}, want: wantAll},
		{name: "header rejected", opts: imaptest.MemOptions{RejectHeaderSearch: true}, want: wantHeader, fallback: true},
		{name: "charset rejected", opts: imaptest.MemOptions{RejectCharset: true}, want: wantHeader},
		{name: "starttls", args: []string{"-tls", "starttls"}, want: wantHeader},
		{name: "cleartext on loopback", args: []string{"-tls", "none"}, want: wantHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Mailboxes = map[string][]imaptest.Message{"INBOX": corpusMails(t)}
			s := startMem(t, tc.opts)
			args := accountArgs(t, s)
			if len(tc.args) > 1 && tc.args[0] == "-tls" {
				args[3] = strconv.Itoa(s.PlainPort)
			}
			res := runFetch(t, accountEnv(s), append(args, tc.args...)...)
			if res.code != cli.ExitOK {
				t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
			}
			if got := len(readMbox(t, res.stdout)); got != tc.want {
				t.Errorf("got %d messages, want %d", got, tc.want)
			}
			notices := strings.Count(res.stderr, "filter runs on the client")
			if tc.fallback && notices != 1 {
				t.Errorf("fallback notice appears %d times, want once; stderr:\n%s", notices, res.stderr)
			}
			if !tc.fallback && notices != 0 {
				t.Errorf("unexpected fallback notice; stderr:\n%s", res.stderr)
			}
		})
	}
}

func TestFallbackWithoutMove(t *testing.T) {
	s := startMem(t, imaptest.MemOptions{
		RejectHeaderSearch: true,
		NoMove:             true,
		Mailboxes:          map[string][]imaptest.Message{"INBOX": corpusMails(t), "Reports": nil},
	})
	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-move-to", "Reports")...)
	if res.code != cli.ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	if got := len(readMbox(t, res.stdout)); got != wantHeader {
		t.Errorf("got %d messages, want %d", got, wantHeader)
	}

	inbox, err := s.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox) != wantAll-wantHeader {
		t.Errorf("INBOX keeps %d messages, want the %d without a report", len(inbox), wantAll-wantHeader)
	}
	for _, msg := range inbox {
		if msg.HasFlag(imap.FlagDeleted) || msg.HasFlag(imap.FlagSeen) {
			t.Errorf("UID %d left in INBOX has flags %v", msg.UID, msg.Flags)
		}
	}
	moved, err := s.Messages("Reports")
	if err != nil {
		t.Fatal(err)
	}
	if len(moved) != wantHeader {
		t.Errorf("Reports holds %d messages, want %d", len(moved), wantHeader)
	}
}

func TestMarkSeenMemServer(t *testing.T) {
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": corpusMails(t)}})
	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-mark-seen")...)
	if res.code != cli.ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	msgs, err := s.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, msg := range msgs {
		if msg.HasFlag(imap.FlagSeen) {
			seen++
		}
	}
	if seen != wantHeader {
		t.Errorf("%d messages are \\Seen, want %d", seen, wantHeader)
	}
}

func TestPeekLeavesFlags(t *testing.T) {
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": corpusMails(t)}})
	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-filter", "all")...)
	if res.code != cli.ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	msgs, err := s.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range msgs {
		if msg.HasFlag(imap.FlagSeen) {
			t.Errorf("UID %d is \\Seen after a fetch without -mark-seen", msg.UID)
		}
	}
}

func readState(t *testing.T, path string) fetch.Mark {
	t.Helper()
	st, err := fetch.LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Marks) != 1 {
		t.Fatalf("state has %d marks, want 1", len(st.Marks))
	}
	return st.Marks[0]
}

func TestStateMemServer(t *testing.T) {
	mails := corpusMails(t)
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": mails[:5]}})
	statePath := filepath.Join(t.TempDir(), "fetch.state")
	args := append(accountArgs(t, s), "-filter", "all", "-state", statePath)

	first := runFetch(t, accountEnv(s), args...)
	if first.code != cli.ExitOK {
		t.Fatalf("first run: exit code %d, stderr:\n%s", first.code, first.stderr)
	}
	if got := len(readMbox(t, first.stdout)); got != 5 {
		t.Errorf("first run: got %d messages, want 5", got)
	}
	if mark := readState(t, statePath); mark.LastUID != 5 {
		t.Errorf("first run: last UID %d, want 5", mark.LastUID)
	}

	second := runFetch(t, accountEnv(s), args...)
	if second.code != cli.ExitOK || len(second.stdout) != 0 {
		t.Errorf("second run: exit code %d, %d bytes of output, want 0 and none; stderr:\n%s", second.code, len(second.stdout), second.stderr)
	}

	if err := s.Append("INBOX", mails[5:7]...); err != nil {
		t.Fatal(err)
	}
	third := runFetch(t, accountEnv(s), args...)
	got := readMbox(t, third.stdout)
	if third.code != cli.ExitOK || len(got) != 2 {
		t.Fatalf("third run: exit code %d, %d messages, want 0 and 2; stderr:\n%s", third.code, len(got), third.stderr)
	}
	if stored, err := s.Messages("INBOX"); err != nil || !bytes.Equal(got[0].Data, stored[5].Data) {
		t.Errorf("third run: first message is not UID 6 (%v)", err)
	}

	// A different UIDVALIDITY makes the old UIDs meaningless.
	st, err := fetch.LoadState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	st.Marks[0].UIDValidity += 100
	if err := st.Save(statePath); err != nil {
		t.Fatal(err)
	}
	reset := runFetch(t, accountEnv(s), args...)
	if got := len(readMbox(t, reset.stdout)); reset.code != cli.ExitOK || got != 7 {
		t.Errorf("after a UIDVALIDITY change: exit code %d, %d messages, want 0 and 7; stderr:\n%s", reset.code, got, reset.stderr)
	}
	if !strings.Contains(reset.stderr, "UIDVALIDITY changed") {
		t.Errorf("no warning about the UIDVALIDITY change; stderr:\n%s", reset.stderr)
	}
}

func TestStatePerMailbox(t *testing.T) {
	mails := corpusMails(t)
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": mails[:3], "Other": mails[:4]}})
	statePath := filepath.Join(t.TempDir(), "fetch.state")
	args := append(accountArgs(t, s), "-filter", "all", "-state", statePath)

	for _, mailbox := range []string{"INBOX", "Other"} {
		res := runFetch(t, accountEnv(s), append(args, "-mailbox", mailbox)...)
		if res.code != cli.ExitOK {
			t.Fatalf("%s: exit code %d, stderr:\n%s", mailbox, res.code, res.stderr)
		}
	}
	st, err := fetch.LoadState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Get(s.Host, s.User, "INBOX").LastUID; got != 3 {
		t.Errorf("INBOX last UID %d, want 3", got)
	}
	if got := st.Get(s.Host, s.User, "Other").LastUID; got != 4 {
		t.Errorf("Other last UID %d, want 4", got)
	}
}

func TestDroppedConnection(t *testing.T) {
	mails := corpusMails(t)
	s := startMem(t, imaptest.MemOptions{
		Mailboxes:         map[string][]imaptest.Message{"INBOX": mails},
		DropAfterMessages: 5,
	})
	statePath := filepath.Join(t.TempDir(), "fetch.state")
	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-filter", "all", "-batch", "2", "-state", statePath)...)

	if res.code != cli.ExitTempFail {
		t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, cli.ExitTempFail, res.stderr)
	}
	got := readMbox(t, res.stdout)
	if len(got) != 5 {
		t.Fatalf("got %d messages, want the 5 sent before the drop; stderr:\n%s", len(got), res.stderr)
	}
	if mark := readState(t, statePath); mark.LastUID != 5 {
		t.Errorf("state last UID %d, want 5", mark.LastUID)
	}
	if lines := strings.Count(strings.TrimSpace(res.stderr), "\n") + 1; lines != 1 {
		t.Errorf("stderr has %d lines, want one:\n%s", lines, res.stderr)
	}
}

func TestTooLargeSkipped(t *testing.T) {
	mails := corpusMails(t)
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": mails[12:]}})
	// The first ordinary mail is the largest of the three.
	limit := len(mails[12].Data) - 1
	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-filter", "all", "-max-size", strconv.Itoa(limit))...)
	if res.code != cli.ExitDataErr {
		t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, cli.ExitDataErr, res.stderr)
	}
	if got := len(readMbox(t, res.stdout)); got != 2 {
		t.Errorf("got %d messages, want 2", got)
	}
	if !strings.Contains(res.stderr, "uid=1") {
		t.Errorf("stderr does not name UID 1:\n%s", res.stderr)
	}
	if !strings.Contains(res.stderr, "raise -max-size to fetch them") {
		t.Errorf("stderr does not say how to fetch the skipped message:\n%s", res.stderr)
	}
}

func TestVerbose(t *testing.T) {
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": corpusMails(t)[12:]}})
	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-filter", "all", "-v")...)
	if res.code != cli.ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	for _, want := range []string{
		"message uid=1 message_id=lunch@example.org",
		"message uid=2 message_id=odd@example.org",
		"totals messages=3",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if strings.Contains(res.stderr, "\r") {
		t.Error("stderr holds a progress bar although it is not a terminal")
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	const password = `s3cr"et\pass`
	s := startMem(t, imaptest.MemOptions{Password: password, Mailboxes: map[string][]imaptest.Message{"INBOX": corpusMails(t)[:2]}})
	for _, tc := range []struct {
		name     string
		password string
		wantCode int
	}{
		{name: "right", password: password, wantCode: cli.ExitOK},
		{name: "wrong", password: password + "x", wantCode: cli.ExitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"IMAP_PASS": tc.password}
			res := runFetch(t, env, append(accountArgs(t, s), "-v", "-debug", "-debug-imap")...)
			if res.code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, tc.wantCode, res.stderr)
			}
			for _, secret := range []string{`s3cr"et`, `s3cr\"et`, "et\\pass", "et\\\\pass"} {
				if strings.Contains(res.stderr, secret) {
					t.Errorf("stderr contains %q:\n%s", secret, res.stderr)
				}
			}
			if !strings.Contains(res.stderr, "LOGIN <redacted>") {
				t.Errorf("trace lacks the redacted LOGIN:\n%s", res.stderr)
			}
		})
	}
}

func TestConnectionErrors(t *testing.T) {
	s := startMem(t, imaptest.MemOptions{})
	closed := startMem(t, imaptest.MemOptions{})
	closedPort := strconv.Itoa(closed.TLSPort)
	closed.Close()
	unavailable := startMem(t, imaptest.MemOptions{LoginUnavailable: true})

	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{
			name:     "refused",
			args:     []string{"-server", "127.0.0.1", "-port", closedPort, "-user", "u"},
			env:      map[string]string{"IMAP_PASS": "x"},
			wantCode: cli.ExitTempFail,
			want:     []string{"127.0.0.1:" + closedPort, "check -server and -port"},
		},
		{
			name:     "unknown CA",
			args:     []string{"-server", "127.0.0.1", "-port", strconv.Itoa(s.TLSPort), "-user", s.User},
			env:      accountEnv(s),
			wantCode: cli.ExitFailure,
			want:     []string{"TLS handshake with 127.0.0.1:" + strconv.Itoa(s.TLSPort), "-ca-file"},
		},
		{
			name:     "implicit TLS on the cleartext port",
			args:     append(accountArgs(t, s)[:2:2], "-port", strconv.Itoa(s.PlainPort), "-user", s.User),
			env:      accountEnv(s),
			wantCode: cli.ExitFailure,
			want:     []string{"TLS handshake", "check -port"},
		},
		{
			name:     "wrong password",
			args:     accountArgs(t, s),
			env:      map[string]string{"IMAP_PASS": "wrong"},
			wantCode: cli.ExitFailure,
			want:     []string{"login to 127.0.0.1:", `as "reports"`, "check -user and the password", "IMAP_PASS_FILE"},
		},
		{
			name:     "server cannot check credentials",
			args:     accountArgs(t, unavailable),
			env:      accountEnv(unavailable),
			wantCode: cli.ExitTempFail,
			want:     []string{"login to 127.0.0.1:", "UNAVAILABLE", "try again later"},
		},
		{
			name:     "missing mailbox",
			args:     append(accountArgs(t, s), "-mailbox", "Nope"),
			env:      accountEnv(s),
			wantCode: cli.ExitFailure,
			want:     []string{`select mailbox "Nope"`, "check -mailbox"},
		},
		{
			name:     "cleartext to a public address",
			args:     []string{"-server", "192.0.2.1", "-tls", "none", "-user", "u"},
			env:      map[string]string{"IMAP_PASS": "x"},
			wantCode: cli.ExitFailure,
			want:     []string{"-tls none is accepted only for a loopback address"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runFetch(t, tc.env, tc.args...)
			if res.code != tc.wantCode {
				t.Errorf("exit code %d, want %d", res.code, tc.wantCode)
			}
			if lines := strings.Count(strings.TrimSpace(res.stderr), "\n") + 1; lines != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", lines, res.stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
		})
	}
}

func TestSinceOnWire(t *testing.T) {
	mails := corpusMails(t)[12:]
	mails[0].InternalDate = time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	mails[1].InternalDate = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	mails[2].InternalDate = time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": mails}})

	for _, since := range []string{"2026-11-02", "02-Nov-2026", "2-Nov-2026"} {
		t.Run(since, func(t *testing.T) {
			// Go formats dates without the C locale, so LC_ALL and LANG
			// cannot change the month names; the trace shows the wire form.
			res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-filter", "all", "-since", since, "-debug-imap")...)
			if res.code != cli.ExitOK {
				t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
			}
			if got := len(readMbox(t, res.stdout)); got != 2 {
				t.Errorf("got %d messages, want 2", got)
			}
			if !strings.Contains(res.stderr, `SINCE "2-Nov-2026"`) && !strings.Contains(res.stderr, "SINCE 2-Nov-2026") {
				t.Errorf("trace lacks SINCE 2-Nov-2026:\n%s", res.stderr)
			}
		})
	}
}

func TestStateFileFormat(t *testing.T) {
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": corpusMails(t)[:2]}})
	statePath := filepath.Join(t.TempDir(), "fetch.state")
	res := runFetch(t, accountEnv(s), append(accountArgs(t, s), "-state", statePath)...)
	if res.code != cli.ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
	}
	data, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string][]map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("state is not JSON: %v\n%s", err, data)
	}
	for _, key := range []string{"server", "user", "mailbox", "uidvalidity", "last_uid", "updated"} {
		if _, ok := raw["mailboxes"][0][key]; !ok {
			t.Errorf("state lacks %q:\n%s", key, data)
		}
	}
}
