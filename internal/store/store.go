// Package store is tlsrpt's report store: one JSONL file of normalised
// reports, appended to and never rewritten, with a compact index beside it
// for deduplication. The store file is the truth: the index is rebuilt from
// it whenever it is missing, stale or corrupt.
//
// A Store opened for writing holds an exclusive flock(2) lock on the store
// file from Open to Close, so that concurrent ingests check and append one
// after the other. Lines added by Add reach the file as they are buffered
// out and become durable only at Commit; Close and a failed write truncate
// the file back to its committed size.
package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/report"
)

// Suffixes of the files kept beside the store.
const (
	IndexSuffix = ".idx"  // the dedup index
	TornSuffix  = ".torn" // torn last lines moved out of the store
)

// Options control how Open opens a store.
type Options struct {
	// DryRun opens the store for reading with a shared lock. Nothing is
	// written: no store, index or recovery file is created or changed.
	DryRun bool
	// LockTimeout is how long Open waits for the lock.
	LockTimeout time.Duration
	// Logger receives warnings about the store and its index; nil discards them.
	Logger *slog.Logger
}

// Status is the outcome of Add for one report.
type Status int

const (
	Stored   Status = iota // the report was new and was appended
	Repeat                 // the same report, by key and content, is already stored
	Conflict               // a report with the same key but other content is already stored
)

func (s Status) String() string {
	switch s {
	case Stored:
		return "stored"
	case Repeat:
		return "repeat"
	case Conflict:
		return "conflict"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome of Add.
type Result struct {
	Status Status
	// Line is the stored line with its "\n", set for Stored. It is valid
	// until the next call to Add.
	Line []byte
	// Existing is the _source of the report already stored, set for Repeat
	// and Conflict; it is nil when that report carries none.
	Existing *report.Source
}

// Store is an open store. Its methods are not safe for concurrent use;
// concurrent processes are kept apart by the file lock.
type Store struct {
	path     string
	dryRun   bool
	log      *slog.Logger
	file     *os.File // nil in a dry run on a store that does not exist yet
	w        *bufio.Writer
	idx      *index
	ingested time.Time

	openSize   int64 // committed size when the store was opened
	size       int64 // committed size; the index covers [0, size) before Commit
	end        int64 // size plus the bytes added since the last Commit
	pending    map[string]pendingReport
	added      []indexEntry
	indexDirty bool
	failed     error
	line       []byte
	rfc        []byte
}

// pendingReport is a report added since Open, not yet in the index.
type pendingReport struct {
	rfcSum [sha256.Size]byte
	source *report.Source
}

type indexEntry struct {
	hash   uint64
	offset int64
}

// Open opens the store at path, creating it unless opts.DryRun is set,
// takes the lock, moves a torn last line to the recovery file and makes
// the index match the store. It returns an error wrapping ErrLockTimeout
// when the lock is not had within opts.LockTimeout.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	s := &Store{
		path:     path,
		dryRun:   opts.DryRun,
		log:      opts.Logger,
		ingested: time.Now().UTC().Truncate(time.Second),
		pending:  make(map[string]pendingReport),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	if err := s.openFile(ctx, opts.LockTimeout); err != nil {
		return nil, err
	}
	if err := s.openIndex(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if !s.dryRun {
		s.w = bufio.NewWriterSize(s.file, 256<<10)
	}
	return s, nil
}

func (s *Store) openFile(ctx context.Context, lockTimeout time.Duration) error {
	var err error
	if s.dryRun {
		s.file, err = os.Open(s.path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	} else {
		s.file, err = os.OpenFile(s.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}

	if err := lockFile(ctx, s.file, !s.dryRun, lockTimeout); err != nil {
		s.file.Close()
		return err
	}

	info, err := s.file.Stat()
	if err != nil {
		s.Close()
		return fmt.Errorf("open store: %w", err)
	}
	size := info.Size()
	if s.dryRun {
		size, err = s.completeSize(size)
	} else {
		size, err = s.recoverTornLine(size)
	}
	if err != nil {
		s.Close()
		return err
	}
	s.openSize, s.size, s.end = size, size, size
	return nil
}

// Add checks r against the store and, when it is new, appends it with
// _ingested set to the time the store was opened. An error means that the
// store could not be written. The lines added since the last Commit are
// then gone from the file, and the Store accepts no more.
func (s *Store) Add(r *report.Report) (Result, error) {
	if s.failed != nil {
		return Result{}, s.failed
	}
	key := r.Key()
	s.rfc = r.AppendRFC(s.rfc[:0])

	if p, ok := s.pending[key]; ok {
		return compare(p.rfcSum == sha256.Sum256(s.rfc), p.source), nil
	}
	existing, err := s.lookup(key)
	if err != nil {
		return Result{}, err
	}
	if existing != nil {
		return compare(bytes.Equal(existing.AppendRFC(nil), s.rfc), existing.Source), nil
	}

	r.Ingested = s.ingested
	s.line = append(r.AppendJSON(s.line[:0]), '\n')
	if !s.dryRun {
		if _, err := s.w.Write(s.line); err != nil {
			return Result{}, s.fail(fmt.Errorf("write store %s: %w", s.path, err))
		}
	}
	s.pending[key] = pendingReport{rfcSum: sha256.Sum256(s.rfc), source: r.Source}
	s.added = append(s.added, indexEntry{hash: keyHash(key), offset: s.end})
	s.end += int64(len(s.line))
	return Result{Status: Stored, Line: s.line}, nil
}

func compare(sameContent bool, existing *report.Source) Result {
	if sameContent {
		return Result{Status: Repeat, Existing: existing}
	}
	return Result{Status: Conflict, Existing: existing}
}

// Commit writes out the added lines and syncs them to disk; when it returns
// nil they are durable. It then updates the index; an index that cannot be
// written is only logged, because the next Open indexes the new lines from
// the store. In a dry run Commit does nothing.
func (s *Store) Commit() error {
	if s.dryRun {
		return nil
	}
	if s.failed != nil {
		return s.failed
	}
	if err := s.w.Flush(); err != nil {
		return s.fail(fmt.Errorf("write store %s: %w", s.path, err))
	}
	if err := s.file.Sync(); err != nil {
		return s.fail(fmt.Errorf("sync store %s: %w", s.path, err))
	}
	s.size = s.end

	if len(s.added) > 0 || s.indexDirty {
		if err := s.updateIndex(); err != nil {
			s.log.Warn("index not updated; the next run indexes the new lines from the store",
				"index", s.path+IndexSuffix, "err", err)
			s.idx.closeFile()
			s.idx = nil
		}
	}
	s.added = s.added[:0]
	clear(s.pending)
	return nil
}

func (s *Store) updateIndex() error {
	err := s.insertAdded()
	if errors.Is(err, errIndexCorrupt) {
		s.log.Warn("index does not match the store, rebuilding it", "index", s.path+IndexSuffix, "err", err)
		err = s.rebuildIndex(context.Background(), s.size)
	}
	if err != nil {
		return err
	}
	if err := s.idx.save(s.file, s.size); err != nil {
		return err
	}
	s.indexDirty = false
	return nil
}

// insertAdded adds the lines committed in this run to the index, or
// rebuilds the index when there is none.
func (s *Store) insertAdded() error {
	if s.idx == nil {
		return s.rebuildIndex(context.Background(), s.size)
	}
	if err := s.idx.reserve(uint64(len(s.added))); err != nil {
		return err
	}
	for _, e := range s.added {
		if err := s.idx.insert(e.hash, e.offset); err != nil {
			return err
		}
	}
	return nil
}

// Appended returns a reader of the lines committed since Open, exactly as
// they are in the store.
func (s *Store) Appended() io.Reader {
	if s.file == nil {
		return bytes.NewReader(nil)
	}
	return io.NewSectionReader(s.file, s.openSize, s.size-s.openSize)
}

// Close drops the lines added since the last Commit, releases the lock and
// closes the files.
func (s *Store) Close() error {
	var errs []error
	if !s.dryRun && s.file != nil && s.failed == nil && s.end > s.size {
		s.w.Reset(io.Discard)
		errs = append(errs, s.truncate())
	}
	if s.idx != nil {
		errs = append(errs, s.idx.closeFile())
	}
	if s.file != nil {
		errs = append(errs, unlockFile(s.file), s.file.Close())
	}
	return errors.Join(errs...)
}

// fail truncates the store to its committed size, so that nothing
// half-written remains, and makes the Store refuse further work.
func (s *Store) fail(err error) error {
	s.w.Reset(io.Discard)
	if terr := s.truncate(); terr != nil {
		err = errors.Join(err, terr)
	}
	s.failed = err
	return err
}

func (s *Store) truncate() error {
	if err := s.file.Truncate(s.size); err != nil {
		return fmt.Errorf("truncate store %s back to %d bytes: %w", s.path, s.size, err)
	}
	if err := s.file.Sync(); err != nil {
		return fmt.Errorf("sync store %s: %w", s.path, err)
	}
	s.end = s.size
	return nil
}
