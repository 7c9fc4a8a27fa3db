// Package mbox reads and writes mbox streams in the mboxrd form: each
// message starts with a "From " postmark line, and body lines that match
// ^>*From  get one more ">" on writing and lose one on reading.
//
// The writer ends each message with one empty line whose line ending
// matches the message's own, and the reader removes exactly that line. So
// a message survives a round trip byte for byte, including CRLF line
// endings, a last line without a newline and "From " lines in the body.
package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrTooLarge is returned by Reader.Next, wrapped in a *TooLargeError, for
// a message over the size limit. The reader has skipped the message, and
// the next call returns the next one.
var ErrTooLarge = errors.New("message exceeds the size limit")

// TooLargeError describes a message over the size limit.
type TooLargeError struct {
	Number   int    // 1-based position in the stream
	Postmark string // the "From " line without its line ending
	Limit    int64  // the size limit in bytes

	// Copied is set when the whole message went to the writer that the
	// Reader's overflow function returned. CopyErr is the error that
	// stopped the copy, if any.
	Copied  bool
	CopyErr error

	// CRLF is set when the copied message's first line ends in CRLF,
	// which Writer.WriteMessageFrom needs to write it back unchanged.
	CRLF bool
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("mbox: message %d: %v of %d bytes", e.Number, ErrTooLarge, e.Limit)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Message is one message of an mbox stream.
type Message struct {
	Number   int    // 1-based position in the stream
	Postmark string // the "From " line without its line ending
	Data     []byte // the message, unescaped
}

// Reader splits an mbox stream into messages. It holds one message in
// memory at a time.
type Reader struct {
	br      *bufio.Reader
	maxSize int64
	next    []byte // postmark line read ahead, nil before the first message
	long    []byte // buffer for lines longer than br's buffer
	size    int    // size of the previous message, to size the next one's buffer
	count   int
	err     error

	overflow func() (io.Writer, error)
}

// NewReader returns a reader of the mbox stream r that rejects messages of
// more than maxSize bytes; maxSize <= 0 means no limit.
func NewReader(r io.Reader, maxSize int64) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 256<<10), maxSize: maxSize}
}

// SetOverflow makes Next copy each message over the size limit to the
// writer that f returns, so that the caller can keep it without holding it
// in memory. The copy is the message as Next would have returned it.
func (r *Reader) SetOverflow(f func() (io.Writer, error)) {
	r.overflow = f
}

// IsPostmark reports whether line (with or without its line ending) is an
// mbox "From " separator: "From ", a sender, and a date with a time of day.
// Requiring the time keeps unescaped body lines such as "From the desk of"
// in mboxo files from splitting a message.
func IsPostmark(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	rest := bytes.TrimLeft(line[5:], " ")
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return false
	}
	date := rest[sp:]
	for i := 0; i+4 < len(date); i++ {
		if isDigit(date[i]) && isDigit(date[i+1]) && date[i+2] == ':' && isDigit(date[i+3]) && isDigit(date[i+4]) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Next returns the next message, io.EOF after the last one, ErrTooLarge
// (wrapped, with the message number) for a message over the limit, or an
// error when the stream does not start with a postmark line.
func (r *Reader) Next() (*Message, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.next == nil {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF {
				r.err = io.EOF
				if len(line) > 0 {
					r.err = errors.New("mbox: the input does not start with a \"From \" line")
				}
			} else {
				r.err = fmt.Errorf("mbox: %w", err)
			}
			return nil, r.err
		}
		if !bytes.HasPrefix(line, []byte("From ")) {
			r.err = errors.New("mbox: the input does not start with a \"From \" line")
			return nil, r.err
		}
		r.next = append([]byte(nil), line...)
	}

	r.count++
	msg := &Message{Number: r.count, Postmark: string(trimEOL(r.next))}
	// Size the buffer like the previous message, but not beyond 1 MiB,
	// so that a large message does not make every later one large.
	hint := min(r.size, 1<<20)
	data := make([]byte, 0, hint+hint/4)
	var tooLarge *TooLargeError
	var sink *overflowSink
	for {
		line, err := r.readLine()
		if len(line) > 0 && IsPostmark(line) {
			r.next = append(r.next[:0], line...)
			break
		}
		switch {
		case len(line) == 0:
		case tooLarge == nil:
			data = append(data, unescape(line)...)
			// The limit allows for the separator line, which is not part
			// of the message.
			if r.maxSize > 0 && int64(len(data)) > r.maxSize+2 {
				tooLarge = &TooLargeError{Number: msg.Number, Postmark: msg.Postmark, Limit: r.maxSize}
				sink = r.startOverflow(tooLarge, data)
				data = nil
			}
		case sink != nil:
			sink.write(unescape(line))
		}
		if err == io.EOF {
			r.err = io.EOF
			break
		}
		if err != nil {
			r.err = fmt.Errorf("mbox: after message %d: %w", r.count, err)
			return nil, r.err
		}
	}
	if tooLarge != nil {
		if sink != nil {
			tooLarge.CopyErr = sink.finish()
			tooLarge.Copied = tooLarge.CopyErr == nil
			tooLarge.CRLF = sink.crlf
		}
		return nil, tooLarge
	}
	msg.Data = trimSeparator(data)
	r.size = len(msg.Data)
	return msg, nil
}

// readLine returns the next line with its line ending. It returns the
// line and io.EOF together when the stream ends without a newline. The
// line is valid only until the next call.
func (r *Reader) readLine() ([]byte, error) {
	if cap(r.long) > 1<<20 {
		r.long = nil // one very long line should not pin its buffer
	}
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: collect it in pieces.
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		return r.long, err
	}
	return line, err
}

// unescape returns line without its first ">" when it matches ^>+From .
func unescape(line []byte) []byte {
	if len(line) > 0 && line[0] == '>' {
		i := 0
		for i < len(line) && line[i] == '>' {
			i++
		}
		if bytes.HasPrefix(line[i:], []byte("From ")) {
			return line[1:]
		}
	}
	return line
}

// startOverflow opens the overflow writer for the message that e
// describes and copies data, the part read so far, to it. It returns nil
// when there is no overflow function or it failed.
func (r *Reader) startOverflow(e *TooLargeError, data []byte) *overflowSink {
	if r.overflow == nil {
		return nil
	}
	w, err := r.overflow()
	if err != nil {
		e.CopyErr = err
		return nil
	}
	s := &overflowSink{bw: bufio.NewWriterSize(w, 64<<10)}
	s.write(data)
	return s
}

// overflowSink streams a message over the size limit to a writer. It
// holds back the last two bytes written, because they may be the
// separator line that trimSeparator removes from a message in memory.
type overflowSink struct {
	bw   *bufio.Writer
	tail []byte // at most the last two bytes, not yet written

	// seenLF and crlf record whether the first line written ends in CRLF,
	// as UsesCRLF decides it. last is the last byte written.
	seenLF, crlf bool
	last         byte
	err          error
}

func (s *overflowSink) write(p []byte) {
	if len(p) >= 2 {
		s.commit(s.tail)
		s.commit(p[:len(p)-2])
		s.tail = append(s.tail[:0], p[len(p)-2:]...)
		return
	}
	s.tail = append(s.tail, p...)
	if n := len(s.tail) - 2; n > 0 {
		s.commit(s.tail[:n])
		s.tail = append(s.tail[:0], s.tail[n:]...)
	}
}

// commit writes p, noting whether the first line ends in CRLF.
func (s *overflowSink) commit(p []byte) {
	if len(p) == 0 || s.err != nil {
		return
	}
	if !s.seenLF {
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			s.seenLF = true
			s.crlf = (i > 0 && p[i-1] == '\r') || (i == 0 && s.last == '\r')
		}
	}
	s.last = p[len(p)-1]
	_, s.err = s.bw.Write(p)
}

// finish applies trimSeparator's rule to the held-back bytes, writes the
// rest and flushes.
func (s *overflowSink) finish() error {
	tail := s.tail
	if bytes.HasSuffix(tail, []byte("\n")) {
		tail = tail[:len(tail)-1]
		// The one byte left holds no "\n", so s.crlf has seen every
		// line ending that UsesCRLF would look at.
		if bytes.HasSuffix(tail, []byte("\r")) && s.crlf {
			tail = tail[:len(tail)-1]
		}
	}
	s.commit(tail)
	if s.err != nil {
		return s.err
	}
	return s.bw.Flush()
}

// trimSeparator removes the empty line that ends each message. The writer
// chose "\r\n" for it when the message's first line ends in CRLF, else
// "\n". The reader gets the message with that line end appended, so it
// removes the "\n" first and then, for a CRLF message, the "\r" before
// it. Deciding on what remains after the "\n" gives the writer's choice
// back even for a message that is one line ending in a lone "\r".
func trimSeparator(data []byte) []byte {
	if !bytes.HasSuffix(data, []byte("\n")) {
		return data
	}
	data = data[:len(data)-1]
	if bytes.HasSuffix(data, []byte("\r")) && UsesCRLF(data) {
		data = data[:len(data)-1]
	}
	return data
}

// UsesCRLF reports whether the first line of data ends in CRLF, which
// decides the line ending of the postmark and of the separator line.
func UsesCRLF(data []byte) bool {
	i := bytes.IndexByte(data, '\n')
	return i > 0 && data[i-1] == '\r'
}

// trimEOL removes a line's "\n" and every "\r" before it, so that a
// postmark read back after writing is the same string.
func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimRight(line, "\r")
}

// Writer writes messages as an mboxrd stream.
type Writer struct {
	bw *bufio.Writer
}

// NewWriter returns a writer to w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 256<<10)}
}

// Postmark returns the "From " line for an envelope sender and a date, in
// the asctime form that mbox readers expect. An empty sender becomes
// MAILER-DAEMON.
func Postmark(sender string, date time.Time) string {
	if sender == "" {
		sender = "MAILER-DAEMON"
	}
	return "From " + sender + " " + date.UTC().Format("Mon Jan _2 15:04:05 2006")
}

// WriteMessage writes one message after the postmark line. The line ending
// of the postmark and of the closing empty line follow the message's first
// line.
func (w *Writer) WriteMessage(postmark string, data []byte) error {
	eol := "\n"
	if UsesCRLF(data) {
		eol = "\r\n"
	}
	w.bw.WriteString(strings.TrimRight(postmark, "\r\n"))
	w.bw.WriteString(eol)
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		if needsEscape(line) {
			w.bw.WriteByte('>')
		}
		w.bw.Write(line)
	}
	_, err := w.bw.WriteString(eol)
	return err
}

// WriteMessageFrom writes the message that r yields after the postmark
// line, as WriteMessage does, without holding the message in memory. crlf
// is true when the message's first line ends in CRLF, as UsesCRLF decides.
func (w *Writer) WriteMessageFrom(postmark string, r io.Reader, crlf bool) error {
	eol := "\n"
	if crlf {
		eol = "\r\n"
	}
	w.bw.WriteString(strings.TrimRight(postmark, "\r\n"))
	w.bw.WriteString(eol)
	br := bufio.NewReaderSize(r, 64<<10)
	lineStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		// A chunk that starts a line is the whole line or a full buffer,
		// long enough to decide on the escape.
		if lineStart && needsEscape(chunk) {
			w.bw.WriteByte('>')
		}
		if _, werr := w.bw.Write(chunk); werr != nil {
			return werr
		}
		lineStart = err == nil
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
	}
	_, err := w.bw.WriteString(eol)
	return err
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error {
	return w.bw.Flush()
}

func needsEscape(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return bytes.HasPrefix(line[i:], []byte("From "))
}
