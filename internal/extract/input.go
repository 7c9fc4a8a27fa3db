package extract

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tlsrpt/tlsrpt/internal/mbox"
	"github.com/tlsrpt/tlsrpt/internal/payload"
)

// Format is the kind of an input, found from its leading bytes.
type Format int

// Input formats.
const (
	FormatUnknown Format = iota
	FormatMbox
	FormatMessage
	FormatPayload // JSON, gzip or zip
)

func (f Format) String() string {
	switch f {
	case FormatMbox:
		return "mbox"
	case FormatMessage:
		return "message"
	case FormatPayload:
		return "payload"
	}
	return "unknown"
}

// sniffLen is how many leading bytes Recognize looks at.
const sniffLen = 1024

// Recognize returns the format of an input from its leading bytes.
func Recognize(head []byte) Format {
	if payload.Sniff(head) != payload.Unknown {
		return FormatPayload
	}
	if bytes.HasPrefix(head, []byte("From ")) {
		return FormatMbox
	}
	if looksLikeHeader(head) {
		return FormatMessage
	}
	return FormatUnknown
}

// looksLikeHeader reports whether head starts with an RFC 5322 header
// field: a name of printable characters other than ":" (section 2.2),
// then ":". The first line of a message may also be a folded Received
// continuation, which a field name cannot start, so it is not accepted.
func looksLikeHeader(head []byte) bool {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// readInput reads one named input and emits its units. It returns false
// when emit asked to stop.
func readInput(ctx context.Context, name string, stdin io.Reader, opts Options, emit func(unit) bool) bool {
	if name == "-" {
		if stdin == nil {
			return emit(unit{input: name, ioErr: errors.New("no standard input")})
		}
		return readStream(ctx, name, stdin, opts, emit)
	}

	info, err := os.Stat(name)
	if err != nil {
		return emit(unit{input: name, ioErr: err})
	}
	if info.IsDir() {
		files, err := listDir(name)
		if err != nil {
			return emit(unit{input: name, ioErr: fmt.Errorf("reading directory: %w", err)})
		}
		for _, f := range files {
			if !readFile(ctx, f, opts, emit) {
				return false
			}
		}
		return true
	}
	return readFile(ctx, name, opts, emit)
}

func readFile(ctx context.Context, name string, opts Options, emit func(unit) bool) bool {
	f, err := os.Open(name)
	if err != nil {
		return emit(unit{input: name, ioErr: err})
	}
	defer f.Close()
	return readStream(ctx, name, f, opts, emit)
}

// listDir returns the files to read in a directory: for a Maildir the
// messages in cur/ and new/, otherwise every regular file below it. Names
// starting with "." are left out, as Maildir tools keep state in them.
func listDir(dir string) ([]string, error) {
	if isMaildir(dir) {
		var files []string
		for _, sub := range []string{"cur", "new"} {
			entries, err := os.ReadDir(filepath.Join(dir, sub))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
					files = append(files, filepath.Join(dir, sub, e.Name()))
				}
			}
		}
		return files, nil
	}

	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() && path != dir && isMaildir(path) {
			sub, err := listDir(path)
			files = append(files, sub...)
			if err != nil {
				return err
			}
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if info, err := os.Stat(filepath.Join(dir, sub)); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}

// readStream recognises the format of r and emits its units.
func readStream(ctx context.Context, name string, r io.Reader, opts Options, emit func(unit) bool) bool {
	br := bufio.NewReaderSize(r, 256<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return emit(unit{input: name, ioErr: fmt.Errorf("reading: %w", err)})
	}
	if len(head) == 0 {
		return true // an empty mailbox, as tlsrpt-fetch writes when no mail is new
	}

	format := Recognize(head)
	switch format {
	case FormatMbox:
		return readMbox(ctx, name, br, opts, emit)
	case FormatMessage, FormatPayload:
		data, err := io.ReadAll(io.LimitReader(br, opts.MaxMessageSize+1))
		if err != nil {
			return emit(unit{input: name, ioErr: fmt.Errorf("reading: %w", err)})
		}
		u := unit{input: name, data: data}
		if format == FormatMessage {
			u.isMail = true
			u.number = 1
		}
		if int64(len(data)) > opts.MaxMessageSize {
			u.data = nil
			u.err = fmt.Errorf("input exceeds the size limit of %d bytes; raise -max-message-size to read it", opts.MaxMessageSize)
			if u.isMail && opts.KeepRaw {
				u.spilled, err = spillStream(data, br)
				if err != nil {
					u.err = fmt.Errorf("%w, and it was not kept for -rejects: %w", u.err, err)
				}
			}
		}
		return emit(u)
	}
	return emit(unit{input: name, err: ErrUnrecognized})
}

func readMbox(ctx context.Context, name string, r io.Reader, opts Options, emit func(unit) bool) bool {
	mr := mbox.NewReader(r, opts.MaxMessageSize)
	var spill *os.File
	if opts.KeepRaw {
		mr.SetOverflow(func() (io.Writer, error) {
			f, err := newSpillFile()
			spill = f
			return f, err
		})
	}
	for ctx.Err() == nil {
		spill = nil
		msg, err := mr.Next()
		if err == io.EOF {
			return true
		}
		var tooLarge *mbox.TooLargeError
		if errors.As(err, &tooLarge) {
			if !emit(tooLargeUnit(name, tooLarge, spill)) {
				return false
			}
			continue
		}
		if err != nil {
			// A read failure or an input that is not an mbox after all.
			return emit(unit{input: name, ioErr: err})
		}
		if !emit(unit{input: name, number: msg.Number, postmark: msg.Postmark, data: msg.Data, isMail: true}) {
			return false
		}
	}
	return false
}

// tooLargeUnit returns the unit for an mbox message over the size limit,
// with the copy the reader made in spill when -rejects is set.
func tooLargeUnit(name string, e *mbox.TooLargeError, spill *os.File) unit {
	u := unit{input: name, number: e.Number, postmark: e.Postmark, isMail: true,
		err: fmt.Errorf("%w of %d bytes; raise -max-message-size to read it", mbox.ErrTooLarge, e.Limit)}
	switch {
	case e.Copied:
		u.spilled = &Spilled{File: spill, CRLF: e.CRLF}
	case e.CopyErr != nil:
		u.err = fmt.Errorf("%w, and it was not kept for -rejects: %w", u.err, e.CopyErr)
	}
	if !e.Copied && spill != nil {
		spill.Close()
	}
	return u
}

// spillStream copies head and the rest of r, one message over the size
// limit, to a temporary file.
func spillStream(head []byte, r io.Reader) (*Spilled, error) {
	f, err := newSpillFile()
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(head); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing a temporary file for -rejects: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return nil, fmt.Errorf("copying the message to a temporary file for -rejects: %w", err)
	}
	return &Spilled{File: f, CRLF: mbox.UsesCRLF(head)}, nil
}
