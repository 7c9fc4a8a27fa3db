package fetch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Mark is the progress of incremental runs on one mailbox.
type Mark struct {
	Server      string    `json:"server"`
	User        string    `json:"user"`
	Mailbox     string    `json:"mailbox"`
	UIDValidity uint32    `json:"uidvalidity"`
	LastUID     uint32    `json:"last_uid"` // highest UID handed over
	Updated     time.Time `json:"updated"`
}

func (m Mark) sameMailbox(server, user, mailbox string) bool {
	return strings.EqualFold(m.Server, server) && m.User == user && m.Mailbox == mailbox
}

// State is the content of a -state file: one Mark per server, user and
// mailbox.
type State struct {
	Marks []Mark `json:"mailboxes"`
}

// LoadState reads the state file at path; a missing file is an empty
// state.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read state %s: %w; fix or remove the file (the next run then fetches every matching message again)", path, err)
	}
	return &st, nil
}

// Get returns the mark of a mailbox, or one with zero UIDs.
func (st *State) Get(server, user, mailbox string) Mark {
	for _, m := range st.Marks {
		if m.sameMailbox(server, user, mailbox) {
			return m
		}
	}
	return Mark{Server: server, User: user, Mailbox: mailbox}
}

// Set stores m in place of the mark of the same mailbox.
func (st *State) Set(m Mark) {
	for i := range st.Marks {
		if st.Marks[i].sameMailbox(m.Server, m.User, m.Mailbox) {
			st.Marks[i] = m
			return
		}
	}
	st.Marks = append(st.Marks, m)
}

// Save writes the state to path atomically: to a temporary file in the
// same directory, synced, then renamed over path.
func (st *State) Save(path string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	data = append(data, '\n')

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// ErrLocked is returned by LockState when another run holds the lock.
var ErrLocked = errors.New("another tlsrpt-fetch run holds the state lock")

// LockState takes an exclusive lock on path + ".lock", so two runs with
// the same state file cannot hand over the same mail twice. The returned
// function releases it.
func LockState(path string) (func(), error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s; try again when it has finished", ErrLocked, lockPath)
		}
		return nil, fmt.Errorf("lock state %s: %w", lockPath, err)
	}
	return func() { f.Close() }, nil
}
