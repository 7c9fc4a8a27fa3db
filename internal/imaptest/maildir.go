package imaptest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// maildir is the location of a Dovecot user's mail and the owner its files need.
type maildir struct {
	root     string
	uid, gid int
	chown    bool
}

// Deliver writes msgs straight into the Maildir of a Dovecot server, as a
// local delivery agent does, creating the mailbox when it is missing.
// The file modification time carries the internal date, and flags are not
// set. It is much faster than Append for thousands of messages. For the
// memory server it returns an error.
func (s *Server) Deliver(mailbox string, msgs ...Message) error {
	if s.maildir == nil {
		return errors.New("imaptest: Deliver works on a Dovecot server only; use Append")
	}
	dir := s.maildir.root
	if mailbox != "INBOX" {
		// Maildir++ keeps a folder in a directory named "." + its name.
		dir = filepath.Join(dir, "."+mailbox)
	}
	// The user's root directory may not exist yet either.
	for _, path := range []string{s.maildir.root, dir, filepath.Join(dir, "cur"), filepath.Join(dir, "new"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(path, 0o700); err != nil {
			return fmt.Errorf("imaptest: %w", err)
		}
		if err := s.maildir.own(path); err != nil {
			return err
		}
	}

	prefix := strconv.FormatInt(time.Now().UnixNano(), 10)
	for i, msg := range msgs {
		name := filepath.Join(dir, "new", prefix+"."+strconv.Itoa(i)+".imaptest")
		if err := os.WriteFile(name, msg.Data, 0o600); err != nil {
			return fmt.Errorf("imaptest: deliver message %d: %w", i+1, err)
		}
		if !msg.InternalDate.IsZero() {
			if err := os.Chtimes(name, msg.InternalDate, msg.InternalDate); err != nil {
				return fmt.Errorf("imaptest: deliver message %d: %w", i+1, err)
			}
		}
		if err := s.maildir.own(name); err != nil {
			return err
		}
	}
	return nil
}

func (m *maildir) own(path string) error {
	if !m.chown {
		return nil
	}
	if err := os.Chown(path, m.uid, m.gid); err != nil {
		return fmt.Errorf("imaptest: %w", err)
	}
	return nil
}
