package main

import (
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/imaptest"
)

// listenLoopback returns a listener on a free port of 127.0.0.1 that is
// closed when the test ends.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// closeAtEnd returns a function that records connections to close when
// the test ends.
func closeAtEnd(t *testing.T) func(...net.Conn) {
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return func(c ...net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		conns = append(conns, c...)
	}
}

// keepOpen accepts connections and holds them open without sending a byte,
// as a hung server does, until the test ends.
func keepOpen(t *testing.T, ln net.Listener) {
	track := closeAtEnd(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
		}
	}()
}

func TestTimeoutSilentServer(t *testing.T) {
	ln := listenLoopback(t)
	keepOpen(t, ln)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	res := runFetch(t, map[string]string{"IMAP_PASS": "p"},
		"-server", "127.0.0.1", "-port", port, "-tls", "none", "-user", "u", "-timeout", "300ms")
	if res.code != cli.ExitTempFail {
		t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, cli.ExitTempFail, res.stderr)
	}
	if !strings.Contains(res.stderr, "127.0.0.1:"+port) {
		t.Errorf("stderr does not name the server:\n%s", res.stderr)
	}
	if !strings.Contains(res.stderr, "timeout") {
		t.Errorf("stderr does not say the server timed out:\n%s", res.stderr)
	}
}

// stallingProxy forwards connections to target, but stops passing the
// server's bytes on after limit of them, while keeping both connections
// open: a server that hangs in the middle of a FETCH.
func stallingProxy(t *testing.T, target string, limit int64) string {
	t.Helper()
	ln := listenLoopback(t)
	track := closeAtEnd(t)
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				return
			}
			track(client, server)
			go io.Copy(server, client)
			go io.CopyN(client, server, limit)
		}
	}()
	return ln.Addr().String()
}

func TestTimeoutMidFetch(t *testing.T) {
	s := startMem(t, imaptest.MemOptions{Mailboxes: map[string][]imaptest.Message{"INBOX": corpusMails(t)}})
	addr := stallingProxy(t, s.PlainAddr(), 20_000)
	_, port, _ := net.SplitHostPort(addr)
	statePath := filepath.Join(t.TempDir(), "fetch.state")

	res := runFetch(t, accountEnv(s), "-server", "127.0.0.1", "-port", port, "-tls", "none", "-user", s.User,
		"-batch", "1", "-timeout", "300ms", "-state", statePath)
	if res.code != cli.ExitTempFail {
		t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, cli.ExitTempFail, res.stderr)
	}
	got := readMbox(t, res.stdout)
	if len(got) == 0 || len(got) >= wantHeader {
		t.Fatalf("got %d messages, want some but not all %d before the server stalled; stderr:\n%s", len(got), wantHeader, res.stderr)
	}
	if !strings.Contains(res.stderr, "timeout") {
		t.Errorf("stderr does not say the server timed out:\n%s", res.stderr)
	}
	mark := readState(t, statePath)
	if mark.LastUID == 0 {
		t.Errorf("state records no UID although %d messages were written", len(got))
	}
}
