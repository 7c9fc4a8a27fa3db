package imaptest

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func startDovecot(t *testing.T) *Server {
	t.Helper()
	s, err := StartDovecot(t.TempDir(), DovecotOptions{})
	if errors.Is(err, ErrNoDovecot) && !DovecotRequired() {
		t.Skipf("%v; set %s=1 to make this a failure", err, RequireDovecotEnv)
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

func TestMemServerLoad(t *testing.T) {
	date := time.Date(2026, 11, 2, 10, 30, 0, 0, time.UTC)
	data := []byte("Subject: a\r\n\r\nFrom the body\r\nlast line")
	s, err := StartMemServer(MemOptions{Mailboxes: map[string][]Message{
		"INBOX":   {{Data: data, Flags: []imap.Flag{imap.FlagFlagged}, InternalDate: date}},
		"Archive": nil,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	msgs, err := s.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if !bytes.Equal(msgs[0].Data, data) {
		t.Errorf("data = %q, want %q", msgs[0].Data, data)
	}
	if !msgs[0].InternalDate.Equal(date) {
		t.Errorf("internal date = %v, want %v", msgs[0].InternalDate, date)
	}
	if !msgs[0].HasFlag(imap.FlagFlagged) {
		t.Errorf("flags = %v, want \\Flagged", msgs[0].Flags)
	}
	if _, err := s.Messages("Archive"); err != nil {
		t.Errorf("mailbox Archive: %v", err)
	}
}

func TestMemServerOptions(t *testing.T) {
	s, err := StartMemServer(MemOptions{NoMove: true, RejectHeaderSearch: true, RejectCharset: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}

	if c.Caps().Has(imap.CapMove) {
		t.Error("MOVE advertised with NoMove")
	}
	header := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "TLS-Report-Domain"}}}
	if _, err := c.UIDSearch(header, nil).Wait(); err == nil {
		t.Error("HEADER search succeeded with RejectHeaderSearch")
	}
	if _, err := c.UIDSearch(&imap.SearchCriteria{Body: []string{"x"}}, nil).Wait(); err != nil {
		t.Errorf("plain SEARCH: %v", err)
	}
	// A non-ASCII string makes go-imap send CHARSET UTF-8. The server
	// closes the connection after rejecting it, so this check comes last.
	charset := &imap.SearchCriteria{Body: []string{"Grüße"}}
	if _, err := c.UIDSearch(charset, nil).Wait(); err == nil {
		t.Error("SEARCH CHARSET succeeded with RejectCharset")
	}
}

func TestMemServerDrop(t *testing.T) {
	msgs := make([]Message, 5)
	for i := range msgs {
		msgs[i] = Message{Data: []byte("Subject: x\r\n\r\nbody\r\n")}
	}
	s, err := StartMemServer(MemOptions{Mailboxes: map[string][]Message{"INBOX": msgs}, DropAfterMessages: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	got, err := s.Messages("INBOX")
	if err == nil {
		t.Fatalf("fetch of 5 messages succeeded with DropAfterMessages 3, got %d", len(got))
	}
}

func TestReadFilesCorpus(t *testing.T) {
	msgs, err := ReadFiles(filepath.Join("..", "..", "testdata", "corpus", "mox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	// mox/example.eml has "Date: Fri, 16 Sep 2022 ..." in its header.
	if got := msgs[0].InternalDate.UTC().Format("2006-01-02"); got != "2022-09-16" {
		t.Errorf("internal date of example.eml = %s, want 2022-09-16", got)
	}
}

func TestDovecotAppend(t *testing.T) {
	s := startDovecot(t)
	date := time.Date(2026, 11, 2, 10, 30, 0, 0, time.UTC)
	data := []byte("Subject: a\r\n\r\nbody")
	if err := s.Append("Reports", Message{Data: data, InternalDate: date, Flags: []imap.Flag{imap.FlagSeen}}); err != nil {
		t.Fatal(err)
	}

	msgs, err := s.Messages("Reports")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if !bytes.Equal(msgs[0].Data, data) {
		t.Errorf("data = %q, want %q", msgs[0].Data, data)
	}
	if !msgs[0].InternalDate.Equal(date) {
		t.Errorf("internal date = %v, want %v", msgs[0].InternalDate, date)
	}
	if !msgs[0].HasFlag(imap.FlagSeen) {
		t.Errorf("flags = %v, want \\Seen", msgs[0].Flags)
	}
}
