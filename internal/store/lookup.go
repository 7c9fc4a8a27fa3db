package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/tlsrpt/tlsrpt/internal/report"
)

// Number of unindexable store lines logged one by one; the rest are
// counted in one message.
const maxLoggedBadLines = 10

// openIndex opens the index beside the store, indexes the lines appended
// behind its back, or rebuilds it when it is missing or does not match the
// store.
func (s *Store) openIndex(ctx context.Context) error {
	x, err := openIndex(s.path+IndexSuffix, s.file, s.size, !s.dryRun)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		// A new, empty store has no index yet, which is no news to log.
		if s.size == 0 {
			return s.rebuildIndex(ctx, 0)
		}
		s.log.Info("index missing, rebuilding it from the store", "index", s.path+IndexSuffix)
		return s.rebuildIndex(ctx, s.size)
	default:
		s.log.Warn("index does not match the store, rebuilding it", "index", s.path+IndexSuffix, "err", err)
		return s.rebuildIndex(ctx, s.size)
	}

	s.idx = x
	if x.storeSize == s.size {
		return nil
	}
	s.log.Info("indexing lines appended to the store since the index was written",
		"index", x.path, "offset", x.storeSize, "bytes", s.size-x.storeSize)
	err = s.indexRange(ctx, x, x.storeSize, s.size)
	if errors.Is(err, errIndexCorrupt) {
		s.log.Warn("index does not match the store, rebuilding it", "index", x.path, "err", err)
		return s.rebuildIndex(ctx, s.size)
	}
	if err != nil {
		return err
	}
	x.storeSize = s.size
	s.indexDirty = true
	return nil
}

// rebuildIndex builds a new index of the store's bytes [0, end) in memory.
// Commit writes it out.
func (s *Store) rebuildIndex(ctx context.Context, end int64) error {
	if s.idx != nil {
		s.idx.closeFile()
	}
	x := newMemIndex(s.path+IndexSuffix, 0)
	if err := s.indexRange(ctx, x, 0, end); err != nil {
		return err
	}
	x.storeSize = end
	s.idx = x
	s.indexDirty = true
	return nil
}

// indexRange adds the lines in the store's bytes [from, to) to x. A line
// that is not a report cannot be deduplicated against and is logged and
// left out; the store keeps it.
func (s *Store) indexRange(ctx context.Context, x *index, from, to int64) error {
	if s.file == nil || from == to {
		return nil
	}
	if err := x.reserve(uint64(to-from) / 512); err != nil {
		return err
	}

	lines := NewReader(io.NewSectionReader(s.file, from, to-from))
	bad := 0
	for {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if line.Number%4096 == 0 && ctx.Err() != nil {
			return fmt.Errorf("index store %s: %w", s.path, ctx.Err())
		}

		var r *report.Report
		if err == nil {
			r, err = report.Parse(line.Data, report.Hints{})
		}
		if err != nil {
			if !errors.Is(err, ErrLineTooLong) && !errors.Is(err, ErrTornLine) && !errors.Is(err, report.ErrInvalid) {
				return fmt.Errorf("index store %s: %w", s.path, err)
			}
			bad++
			if bad <= maxLoggedBadLines {
				s.log.Warn("store line is not a report, left out of the index",
					"store", s.path, "offset", from+line.Offset, "err", err)
			}
			continue
		}
		if err := x.insert(keyHash(r.Key()), from+line.Offset); err != nil {
			return err
		}
	}
	if bad > maxLoggedBadLines {
		s.log.Warn("store lines left out of the index", "store", s.path, "count", bad)
	}
	return nil
}

// lookup returns the stored report with the given key, or nil. When the
// store holds the key more than once, which ingest never writes, the first
// line wins. An index that points at the wrong place is rebuilt once.
func (s *Store) lookup(key string) (*report.Report, error) {
	if s.idx == nil {
		if err := s.rebuildIndex(context.Background(), s.size); err != nil {
			return nil, err
		}
	}
	found, err := s.lookupIndex(key)
	if errors.Is(err, errIndexCorrupt) {
		s.log.Warn("index does not match the store, rebuilding it", "index", s.path+IndexSuffix, "err", err)
		if err := s.rebuildIndex(context.Background(), s.size); err != nil {
			return nil, err
		}
		found, err = s.lookupIndex(key)
	}
	return found, err
}

func (s *Store) lookupIndex(key string) (*report.Report, error) {
	hash := keyHash(key)
	var found *report.Report
	foundAt := int64(-1)
	err := s.idx.find(hash, func(offset int64) (bool, error) {
		line, err := s.readLineAt(offset)
		if err != nil {
			return false, err
		}
		r, err := report.Parse(line, report.Hints{})
		if err != nil {
			return false, fmt.Errorf("%w: the store line at offset %d is not a report: %v", errIndexCorrupt, offset, err)
		}
		k := r.Key()
		if k == key {
			if foundAt < 0 || offset < foundAt {
				found, foundAt = r, offset
			}
			return true, nil
		}
		if keyHash(k) != hash {
			return false, fmt.Errorf("%w: the store line at offset %d has another key hash", errIndexCorrupt, offset)
		}
		return true, nil // two keys with one 64-bit hash
	})
	return found, err
}

// readLineAt reads the committed line that starts at offset, without "\n".
func (s *Store) readLineAt(offset int64) ([]byte, error) {
	start := offset
	if offset > 0 {
		start-- // the byte before a line is the "\n" of the one before
	}
	var line []byte
	buf := make([]byte, 4096)
	for pos := start; pos < s.size; {
		n := min(int64(len(buf)), s.size-pos)
		if _, err := s.file.ReadAt(buf[:n], pos); err != nil {
			return nil, fmt.Errorf("read store %s at offset %d: %w", s.path, pos, err)
		}
		chunk := buf[:n]
		if pos == start && offset > 0 {
			if chunk[0] != '\n' {
				return nil, fmt.Errorf("%w: offset %d is not the start of a store line", errIndexCorrupt, offset)
			}
			chunk = chunk[1:]
		}
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			return append(line, chunk[:i]...), nil
		}
		line = append(line, chunk...)
		if len(line) > MaxLineSize {
			break
		}
		pos += n
	}
	return nil, fmt.Errorf("%w: no complete store line at offset %d", errIndexCorrupt, offset)
}
