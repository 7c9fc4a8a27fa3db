package main

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/imaptest"
)

// largeMailbox is the size of the mailbox in the load test; the 50,000
// message figures come from BenchmarkFetchDovecot.
const largeMailbox = 3000

// TestDovecot runs the command against a real Dovecot; each subtest uses
// its own mailbox.
func TestDovecot(t *testing.T) {
	s := startDovecot(t)
	mails := corpusMails(t)
	for _, mailbox := range []string{"Corpus", "State", "Seen", "Move"} {
		if err := s.Append(mailbox, mails...); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateMailbox("Archive"); err != nil {
		t.Fatal(err)
	}
	args := accountArgs(t, s)

	t.Run("login", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"implicit", args},
			{"starttls", append(append([]string{}, args...), "-tls", "starttls", "-port", strconv.Itoa(s.PlainPort))},
		} {
			res := runFetch(t, accountEnv(s), append(tc.args, "-mailbox", "Corpus")...)
			if res.code != cli.ExitOK {
				t.Errorf("%s: exit code %d, stderr:\n%s", tc.name, res.code, res.stderr)
			}
		}
	})

	// Dovecot ends its responses with a timing, such as
	// "(0.001 + 0.000 secs).", which the error leaves out.
	t.Run("missing mailbox", func(t *testing.T) {
		res := runFetch(t, accountEnv(s), append(args, "-mailbox", "Nope")...)
		if res.code != cli.ExitFailure {
			t.Errorf("exit code %d, want %d", res.code, cli.ExitFailure)
		}
		want := `select mailbox "Nope" on 127.0.0.1:` + strconv.Itoa(s.TLSPort) + `: imap: NO `
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
		if want := "Mailbox doesn't exist: Nope; check -mailbox\n"; !strings.HasSuffix(res.stderr, want) {
			t.Errorf("stderr does not end with %q:\n%s", want, res.stderr)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			filter string
			want   int
		}{
			{"header", wantHeader},
			{"subject", wantSubject},
			{"all", wantAll},
		} {
			res := runFetch(t, accountEnv(s), append(args, "-mailbox", "Corpus", "-filter", tc.filter)...)
			if res.code != cli.ExitOK {
				t.Fatalf("%s: exit code %d, stderr:\n%s", tc.filter, res.code, res.stderr)
			}
			if got := len(readMbox(t, res.stdout)); got != tc.want {
				t.Errorf("%s: got %d messages, want %d", tc.filter, got, tc.want)
			}
			if tc.filter == "all" {
				checkRoundTrip(t, s, "Corpus", res.stdout)
			}
		}
	})

	t.Run("fallback", func(t *testing.T) {
		proxy := startHeaderRejectingProxy(t, s.PlainAddr())
		_, port, _ := net.SplitHostPort(proxy)
		res := runFetch(t, accountEnv(s), "-server", "127.0.0.1", "-port", port, "-tls", "none", "-user", s.User, "-mailbox", "Corpus")
		if res.code != cli.ExitOK {
			t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
		}
		if got := len(readMbox(t, res.stdout)); got != wantHeader {
			t.Errorf("got %d messages, want %d", got, wantHeader)
		}
		if n := strings.Count(res.stderr, "filter runs on the client"); n != 1 {
			t.Errorf("fallback notice appears %d times, want once; stderr:\n%s", n, res.stderr)
		}
	})

	t.Run("state", func(t *testing.T) {
		statePath := filepath.Join(t.TempDir(), "fetch.state")
		stateArgs := append(args, "-mailbox", "State", "-state", statePath)
		first := runFetch(t, accountEnv(s), stateArgs...)
		if got := len(readMbox(t, first.stdout)); first.code != cli.ExitOK || got != wantHeader {
			t.Fatalf("first run: exit code %d, %d messages; stderr:\n%s", first.code, got, first.stderr)
		}
		// Every message up to UIDNEXT-1 was searched.
		if mark := readState(t, statePath); mark.LastUID != wantAll || mark.UIDValidity == 0 {
			t.Errorf("first run: state %+v, want last UID %d and a UIDVALIDITY", mark, wantAll)
		}
		second := runFetch(t, accountEnv(s), stateArgs...)
		if second.code != cli.ExitOK || len(second.stdout) != 0 {
			t.Errorf("second run: exit code %d, %d bytes of output", second.code, len(second.stdout))
		}
		if err := s.Append("State", mails[0], mails[7]); err != nil {
			t.Fatal(err)
		}
		third := runFetch(t, accountEnv(s), stateArgs...)
		if got := len(readMbox(t, third.stdout)); third.code != cli.ExitOK || got != 1 {
			t.Errorf("third run: exit code %d, %d messages, want 0 and the 1 new report; stderr:\n%s", third.code, got, third.stderr)
		}
	})

	t.Run("mark-seen", func(t *testing.T) {
		res := runFetch(t, accountEnv(s), append(args, "-mailbox", "Seen", "-mark-seen")...)
		if res.code != cli.ExitOK {
			t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
		}
		stored, err := s.Messages("Seen")
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, msg := range stored {
			if msg.HasFlag(imap.FlagSeen) {
				seen++
			}
		}
		if seen != wantHeader {
			t.Errorf("%d messages are \\Seen, want %d", seen, wantHeader)
		}
	})

	t.Run("move-to", func(t *testing.T) {
		res := runFetch(t, accountEnv(s), append(args, "-mailbox", "Move", "-move-to", "Archive")...)
		if res.code != cli.ExitOK {
			t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
		}
		left, err := s.Messages("Move")
		if err != nil {
			t.Fatal(err)
		}
		archived, err := s.Messages("Archive")
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != wantAll-wantHeader || len(archived) != wantHeader {
			t.Errorf("Move keeps %d and Archive holds %d, want %d and %d", len(left), len(archived), wantAll-wantHeader, wantHeader)
		}
		missingArchive := runFetch(t, accountEnv(s), append(args, "-mailbox", "Corpus", "-move-to", "Nowhere")...)
		if missingArchive.code != cli.ExitFailure || !strings.Contains(missingArchive.stderr, `"Nowhere" exists`) {
			t.Errorf("missing target: exit code %d, stderr:\n%s", missingArchive.code, missingArchive.stderr)
		}
	})

	t.Run("large mailbox", func(t *testing.T) {
		generated := imaptest.GenerateMails(largeMailbox, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err := s.Deliver("Large", generated...); err != nil {
			t.Fatal(err)
		}
		statePath := filepath.Join(t.TempDir(), "fetch.state")
		res := runFetch(t, accountEnv(s), append(args, "-mailbox", "Large", "-filter", "all", "-state", statePath)...)
		if res.code != cli.ExitOK {
			t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
		}
		checkRoundTrip(t, s, "Large", res.stdout)
		if mark := readState(t, statePath); mark.LastUID != largeMailbox {
			t.Errorf("state last UID %d, want %d", mark.LastUID, largeMailbox)
		}
	})

	// Last, because Dovecot delays the logins from an address after a
	// failed one.
	t.Run("wrong password", func(t *testing.T) {
		res := runFetch(t, map[string]string{"IMAP_PASS": "wrong"}, append(args, "-mailbox", "Corpus")...)
		if res.code != cli.ExitFailure || !strings.Contains(res.stderr, "check -user") {
			t.Errorf("exit code %d, stderr:\n%s", res.code, res.stderr)
		}
	})
}

// startHeaderRejectingProxy forwards loopback connections to addr and
// turns the HEADER search key into the unknown key XEADER, so Dovecot
// returns BAD the way servers without HEADER search do.
func startHeaderRejectingProxy(t *testing.T, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", addr)
			if err != nil {
				client.Close()
				continue
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				io.Copy(client, server)
				client.Close()
			}()
			go func() {
				defer wg.Done()
				buf := make([]byte, 32<<10)
				for {
					n, err := client.Read(buf)
					chunk := bytes.ReplaceAll(buf[:n], []byte(" HEADER "), []byte(" XEADER "))
					if _, werr := server.Write(chunk); werr != nil || err != nil {
						server.Close()
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
