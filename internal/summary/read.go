package summary

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/tlsrpt/tlsrpt/internal/badlines"
)

// MaxLineSize bounds one report line, so that a runaway line cannot fill
// memory. Real reports are far smaller: the largest in testdata/corpus is
// under 10 KiB.
const MaxLineSize = 64 << 20

// Input is one source of report lines, one report per line as
// report.Report.AppendJSON writes it.
type Input struct {
	Name string // file name in messages, "-" for standard input
	R    io.Reader

	// Store marks the store file. tlsrpt-ingest ends every line with
	// "\n", so a final line without one is torn: a crash, or a write
	// still in progress. It is skipped with a warning.
	Store bool
}

// ReadStats counts what Read did with the lines of one input.
type ReadStats struct {
	Lines      int64 // lines read, blank ones included
	Added      int64 // reports in the period
	Outside    int64 // reports outside the period
	Unreadable int64 // lines that are not a usable report
	Torn       int64 // a torn last line of the store: warned about, not an error
}

var errLineTooLong = fmt.Errorf("line is longer than %d MiB", MaxLineSize>>20)

// Read adds every report line of in to the summary. An unusable line is
// counted in ReadStats.Unreadable, and the next line is read. The first
// badlines.MaxLogged of them are logged at error level with the input
// name and line number, then a count of the rest. The error is for a
// failed read of in, or ctx being done.
func (s *Summary) Read(ctx context.Context, in Input, log *slog.Logger) (ReadStats, error) {
	var stats ReadStats
	br := bufio.NewReaderSize(in.R, 256<<10)
	var long []byte // a line longer than the buffer, assembled here
	bad := badlines.New(log, hintName(in.Name), "unreadable line skipped", "input", in.Name)
	defer bad.Close()

	for {
		if stats.Lines%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return stats, err
			}
		}

		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line, err = readLongLine(br, append(long[:0], line...))
			long = line
		}
		switch {
		case errors.Is(err, errLineTooLong):
			stats.Lines++
			stats.Unreadable++
			bad.Report(int(stats.Lines), nil, err)
			continue
		case len(line) == 0 && errors.Is(err, io.EOF):
			return stats, nil
		case err != nil && !errors.Is(err, io.EOF):
			return stats, fmt.Errorf("read %s after line %d: %w", in.Name, stats.Lines, err)
		}

		stats.Lines++
		s.readLine(in, line, err != nil, &stats, log, bad)
		if err != nil {
			return stats, nil // the input ended without a final newline
		}
	}
}

// readLine adds one line. unterminated is true for a final line without
// a newline.
func (s *Summary) readLine(in Input, line []byte, unterminated bool, stats *ReadStats, log *slog.Logger, bad *badlines.Reporter) {
	if unterminated && in.Store {
		stats.Torn++
		log.Warn("torn last line skipped: it does not end with a newline, so tlsrpt-ingest is still writing it or crashed while writing; run again later",
			"input", in.Name, "line", stats.Lines, "bytes", len(line))
		return
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}

	added, err := s.AddLine(line)
	switch {
	case err != nil:
		stats.Unreadable++
		bad.Report(int(stats.Lines), line, err)
	case added:
		stats.Added++
	default:
		stats.Outside++
	}
}

// hintName names an input in the hint to use tlsrpt-extract.
func hintName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// readLongLine reads the rest of a line that did not fit the reader's
// buffer into buf. Past MaxLineSize it discards the rest of the line and
// returns errLineTooLong; at the end of the input it returns io.EOF with
// the line.
func readLongLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, chunk...)
			if len(buf) > MaxLineSize {
				tooLong = true
				buf = buf[:0]
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case tooLong && (err == nil || errors.Is(err, io.EOF)):
			return nil, errLineTooLong
		default:
			return buf, err
		}
	}
}
