// Package imaptest starts IMAP servers on loopback for tests and demos: an
// in-memory server built on go-imap's imapserver and imapmemserver, and a
// real Dovecot with its own configuration. Both serve implicit TLS with a
// self-signed certificate on one port and cleartext with STARTTLS on
// another, for one user.
//
// The package does not import package testing, so a demo program can use
// it too.
package imaptest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Message is a message to store in a test mailbox.
type Message struct {
	Data         []byte
	Flags        []imap.Flag
	InternalDate time.Time // the zero time means the time of the APPEND
}

// StoredMessage is a message as the server holds it.
type StoredMessage struct {
	UID          imap.UID
	Flags        []imap.Flag
	InternalDate time.Time
	Data         []byte
}

// HasFlag reports whether the message carries flag.
func (m StoredMessage) HasFlag(flag imap.Flag) bool {
	for _, f := range m.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// Server is a running test server on 127.0.0.1.
type Server struct {
	Host      string // "127.0.0.1"
	TLSPort   int    // implicit TLS
	PlainPort int    // cleartext, STARTTLS offered
	CAPEM     []byte // PEM certificate that verifies the server
	User      string
	Password  string

	close   func() error
	maildir *maildir // nil for the memory server
}

// TLSAddr returns host:port of the implicit TLS port.
func (s *Server) TLSAddr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.TLSPort))
}

// PlainAddr returns host:port of the cleartext port.
func (s *Server) PlainAddr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.PlainPort))
}

// Close stops the server. It is safe to call more than once.
func (s *Server) Close() error {
	if s.close == nil {
		return nil
	}
	closeFunc := s.close
	s.close = nil
	return closeFunc()
}

// TLSConfig returns a client configuration that trusts the server.
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CAPEM)
	return &tls.Config{RootCAs: pool, ServerName: s.Host}
}

// Dial returns a client logged in over implicit TLS. The caller closes it.
func (s *Server) Dial() (*imapclient.Client, error) {
	c, err := imapclient.DialTLS(s.TLSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
	if err != nil {
		return nil, fmt.Errorf("imaptest: connect to %s: %w", s.TLSAddr(), err)
	}
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imaptest: login to %s as %s: %w", s.TLSAddr(), s.User, err)
	}
	return c, nil
}

// CreateMailbox creates a mailbox; an existing one is not an error.
func (s *Server) CreateMailbox(name string) error {
	c, err := s.Dial()
	if err != nil {
		return err
	}
	defer c.Close()
	return createMailbox(c, name)
}

func createMailbox(c *imapclient.Client, name string) error {
	err := c.Create(name, nil).Wait()
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	if err != nil && name == "INBOX" {
		// INBOX always exists, and some servers reject creating it without
		// the ALREADYEXISTS code.
		return nil
	}
	if err != nil {
		return fmt.Errorf("imaptest: create mailbox %q: %w", name, err)
	}
	return nil
}

// Append stores msgs in mailbox with APPEND, creating the mailbox when it
// is missing. Up to appendWindow commands are in flight at a time, which
// makes loading thousands of messages several times faster.
func (s *Server) Append(mailbox string, msgs ...Message) error {
	c, err := s.Dial()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := createMailbox(c, mailbox); err != nil {
		return err
	}

	type pending struct {
		number int
		cmd    *imapclient.AppendCommand
	}
	var inFlight []pending
	wait := func(keep int) error {
		for len(inFlight) > keep {
			p := inFlight[0]
			inFlight = inFlight[1:]
			if _, err := p.cmd.Wait(); err != nil {
				return fmt.Errorf("imaptest: append message %d to %q: %w", p.number, mailbox, err)
			}
		}
		return nil
	}
	for i, msg := range msgs {
		options := &imap.AppendOptions{Flags: msg.Flags, Time: msg.InternalDate}
		cmd := c.Append(mailbox, int64(len(msg.Data)), options)
		if _, err := cmd.Write(msg.Data); err != nil {
			return fmt.Errorf("imaptest: append message %d to %q: %w", i+1, mailbox, err)
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("imaptest: append message %d to %q: %w", i+1, mailbox, err)
		}
		inFlight = append(inFlight, pending{number: i + 1, cmd: cmd})
		if err := wait(appendWindow); err != nil {
			return err
		}
	}
	return wait(0)
}

const appendWindow = 64

// Messages returns every message of mailbox in UID order without changing
// any flag.
func (s *Server) Messages(mailbox string) ([]StoredMessage, error) {
	c, err := s.Dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()

	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("imaptest: examine %q: %w", mailbox, err)
	}
	search, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("imaptest: search %q: %w", mailbox, err)
	}
	uids := search.AllUIDs()
	if len(uids) == 0 {
		return nil, nil
	}
	options := &imap.FetchOptions{
		UID:          true,
		Flags:        true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
	}
	bufs, err := c.Fetch(imap.UIDSetNum(uids...), options).Collect()
	if err != nil {
		return nil, fmt.Errorf("imaptest: fetch %q: %w", mailbox, err)
	}
	msgs := make([]StoredMessage, 0, len(bufs))
	for _, buf := range bufs {
		msg := StoredMessage{UID: buf.UID, Flags: buf.Flags, InternalDate: buf.InternalDate}
		if len(buf.BodySection) > 0 {
			msg.Data = buf.BodySection[0].Bytes
		}
		msgs = append(msgs, msg)
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].UID < msgs[j].UID })
	return msgs, nil
}

// ReadFiles reads the files that match the glob pattern as messages, in
// name order. The internal date of each is its Date header, or the file's
// modification time when the header is missing or invalid.
func ReadFiles(pattern string) ([]Message, error) {
	names, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("imaptest: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("imaptest: no file matches %q", pattern)
	}
	sort.Strings(names)

	msgs := make([]Message, 0, len(names))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("imaptest: %w", err)
		}
		date, err := headerDate(data)
		if err != nil {
			info, statErr := os.Stat(name)
			if statErr != nil {
				return nil, fmt.Errorf("imaptest: %w", statErr)
			}
			date = info.ModTime()
		}
		msgs = append(msgs, Message{Data: data, InternalDate: date})
	}
	return msgs, nil
}

func headerDate(data []byte) (time.Time, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return time.Time{}, err
	}
	if _, err := io.Copy(io.Discard, msg.Body); err != nil {
		return time.Time{}, err
	}
	return msg.Header.Date()
}
