package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// lastLineEnd returns the offset just after the last "\n" before size, or
// 0 when there is none.
func lastLineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return 0, fmt.Errorf("read store %s at offset %d: %w", f.Name(), start, err)
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// completeSize returns the size of the store without a torn last line. A
// dry run leaves such a line where it is and only warns about it.
func (s *Store) completeSize(size int64) (int64, error) {
	end, err := lastLineEnd(s.file, size)
	if err != nil {
		return 0, err
	}
	if end < size {
		s.log.Warn("store ends with a torn line; a run without -n moves it to the recovery file",
			"store", s.path, "offset", end, "bytes", size-end)
	}
	return end, nil
}

// recoverTornLine moves a torn last line, which a process killed while
// writing leaves behind, from the store to the recovery file beside it,
// followed by "\n", and truncates the store after its last complete line.
// It returns the new size.
func (s *Store) recoverTornLine(size int64) (int64, error) {
	end, err := lastLineEnd(s.file, size)
	if err != nil || end == size {
		return end, err
	}

	recovery := s.path + TornSuffix
	f, err := os.OpenFile(recovery, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return 0, fmt.Errorf("recover torn last line of store: %w", err)
	}
	_, err = io.Copy(f, io.NewSectionReader(s.file, end, size-end))
	if err == nil {
		_, err = f.Write([]byte{'\n'})
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("recover torn last line of store %s into %s: %w", s.path, recovery, err)
	}

	if err := s.file.Truncate(end); err != nil {
		return 0, fmt.Errorf("truncate torn last line of store %s: %w", s.path, err)
	}
	if err := s.file.Sync(); err != nil {
		return 0, fmt.Errorf("sync store %s: %w", s.path, err)
	}
	s.log.Warn("moved torn last line of the store to the recovery file",
		"store", s.path, "recovery", recovery, "offset", end, "bytes", size-end)
	return end, nil
}
