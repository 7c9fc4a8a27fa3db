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

// ErrTooLarge is returned by Reader.Next for a message over the size limit.
// The reader has skipped the message, and the next call returns the next one.
var ErrTooLarge = errors.New("message exceeds the size limit")

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
}

// NewReader returns a reader of the mbox stream r that rejects messages of
// more than maxSize bytes; maxSize <= 0 means no limit.
func NewReader(r io.Reader, maxSize int64) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 256<<10), maxSize: maxSize}
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
	data := make([]byte, 0, r.size+r.size/4)
	tooLarge := false
	for {
		line, err := r.readLine()
		if len(line) > 0 && IsPostmark(line) {
			r.next = append(r.next[:0], line...)
			break
		}
		if len(line) > 0 && !tooLarge {
			data = appendUnescaped(data, line)
			if r.maxSize > 0 && int64(len(data)) > r.maxSize+2 {
				tooLarge = true
				data = nil
			}
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
	if tooLarge {
		return nil, fmt.Errorf("mbox: message %d: %w of %d bytes", msg.Number, ErrTooLarge, r.maxSize)
	}
	msg.Data = trimSeparator(data)
	r.size = len(msg.Data)
	return msg, nil
}

// readLine returns the next line with its line ending. It returns the
// line and io.EOF together when the stream ends without a newline. The
// line is valid only until the next call.
func (r *Reader) readLine() ([]byte, error) {
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

// appendUnescaped appends line to data, removing one ">" from a line that
// matches ^>+From .
func appendUnescaped(data, line []byte) []byte {
	if len(line) > 0 && line[0] == '>' {
		i := 0
		for i < len(line) && line[i] == '>' {
			i++
		}
		if bytes.HasPrefix(line[i:], []byte("From ")) {
			line = line[1:]
		}
	}
	return append(data, line...)
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
	if bytes.HasSuffix(data, []byte("\r")) && usesCRLF(data) {
		data = data[:len(data)-1]
	}
	return data
}

func usesCRLF(data []byte) bool {
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
	if usesCRLF(data) {
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
