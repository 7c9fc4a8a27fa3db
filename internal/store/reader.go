package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLineSize bounds one line of the store or of ingest's input, so that a
// runaway input cannot exhaust memory. It includes the "\n".
const MaxLineSize = 64 << 20

// ErrTornLine marks a last line without "\n": a write that a crash cut
// short, or one that a concurrent ingest has not finished yet.
var ErrTornLine = errors.New("torn last line: no newline at the end")

// ErrLineTooLong marks a line longer than MaxLineSize. The reader skips it
// and goes on with the next line.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineSize)

// Line is one line of a store or of an NDJSON input.
type Line struct {
	Number int    // 1-based line number within what the Reader reads
	Offset int64  // byte offset of the line's first byte
	Data   []byte // the line without its "\n"; valid until the next call to Next
}

// Reader reads a store, or any NDJSON stream, line by line. It is the way
// other packages scan the store: for a store that an ingest may be
// appending to, it returns complete lines only and reports a torn end.
type Reader struct {
	br     *bufio.Reader
	buf    []byte
	offset int64 // offset of the next line
	number int   // number of the last line returned
	max    int
}

// NewReader returns a Reader that reads lines from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 256<<10), max: MaxLineSize}
}

// Next returns the next line, or io.EOF at the end. A last line without
// "\n" comes with ErrTornLine. A line longer than MaxLineSize comes as a
// Line without Data and an error wrapping ErrLineTooLong. After either,
// Next can be called again. Other errors come from the underlying reader.
func (r *Reader) Next() (Line, error) {
	r.buf = r.buf[:0]
	start := r.offset
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.offset += int64(len(chunk))
		if !tooLong && len(r.buf)+len(chunk) > r.max {
			tooLong = true
			r.buf = r.buf[:0]
		}
		if !tooLong {
			r.buf = append(r.buf, chunk...)
		}

		var lineErr error
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if r.offset == start {
				return Line{}, io.EOF
			}
			lineErr = ErrTornLine
		default:
			return Line{}, err
		}

		r.number++
		line := Line{Number: r.number, Offset: start}
		if tooLong {
			return line, fmt.Errorf("line %d at offset %d: %w", r.number, start, ErrLineTooLong)
		}
		line.Data = bytes.TrimSuffix(r.buf, []byte{'\n'})
		return line, lineErr
	}
}
