// Package mailmsg walks one RFC 5322 message with go-message and returns
// the leaf parts that may carry an SMTP TLS report, decoded from their
// Content-Transfer-Encoding. It decides nothing from the bytes of a part;
// that is the job of package payload.
package mailmsg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // registers the charsets that text parts name
	"github.com/emersion/go-message/mail"
)

// Default limits.
const (
	DefaultMaxDepth    = 8
	DefaultMaxPartSize = 32 << 20
)

// Options bound the walk.
type Options struct {
	MaxDepth    int   // nesting of multipart and message/rfc822 parts; <= 0 means DefaultMaxDepth
	MaxPartSize int64 // decoded size of one part; <= 0 means DefaultMaxPartSize
}

// Message is the result of walking one message.
type Message struct {
	MessageID    string // Message-ID header, as sent
	ReportDomain string // TLS-Report-Domain header (RFC 8460 section 5.3)
	Subject      string // Subject header, decoded
	Parts        []Part // candidate leaf parts in the order of the message
	Notes        []Note // tolerated deviations from the MIME standards
}

// Part is one leaf part that is not text/*, or a text/* part whose file
// name is that of a report (see NamesReport).
type Part struct {
	Path        string // MIME part path, "1", "2.1", as IMAP numbers parts
	ContentType string // media type in lower case, "" when the part has none
	Filename    string // from Content-Disposition filename or Content-Type name
	Data        []byte // body decoded from its Content-Transfer-Encoding
	Err         error  // decoding failure; Data is then partial
}

// Note is one tolerated deviation, with the part it concerns.
type Note struct {
	Code    string
	Path    string // MIME part path; empty for the message itself
	Message string
}

// Note codes.
const (
	NoteUnterminatedMultipart = "multipart-unterminated"
	NoteUnknownCharset        = "unknown-charset"
	NoteUnknownEncoding       = "unknown-transfer-encoding"
	NoteDepthExceeded         = "mime-depth-exceeded"
)

// ErrTooLarge is set on a part whose decoded body exceeds MaxPartSize.
var ErrTooLarge = errors.New("decoded part exceeds the size limit")

// Parse reads the message in data and collects its candidate parts. It
// fails only when the header cannot be read; every later problem is a
// Note on the message or an Err on a part.
func Parse(data []byte, opts Options) (*Message, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxPartSize <= 0 {
		opts.MaxPartSize = DefaultMaxPartSize
	}
	if msg, ok := parseFast(data, opts); ok {
		return msg, nil
	}
	return parseSlow(data, opts)
}

// parseSlow walks the message with go-message.
func parseSlow(data []byte, opts Options) (*Message, error) {

	w := &walker{opts: opts, msg: &Message{}}
	entity, err := message.Read(bytes.NewReader(data))
	if entity == nil {
		return nil, fmt.Errorf("invalid message header: %w", err)
	}

	header := mail.Header{Header: entity.Header}
	w.msg.MessageID = strings.TrimSpace(header.Get("Message-Id"))
	w.msg.ReportDomain = strings.TrimSpace(header.Get("Tls-Report-Domain"))
	if subject, err := header.Subject(); err == nil {
		w.msg.Subject = subject
	} else {
		w.msg.Subject = header.Get("Subject")
	}

	w.entity(entity, err, "", 0)
	return w.msg, nil
}

type walker struct {
	opts Options
	msg  *Message
}

// note records a deviation once per code, because one missing boundary
// shows up both in the last part and in the multipart that holds it.
func (w *walker) note(code, path, format string, args ...any) {
	for _, n := range w.msg.Notes {
		if n.Code == code {
			return
		}
	}
	w.msg.Notes = append(w.msg.Notes, Note{Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

// entity visits one entity. path is the entity's own part path, "" for
// the top-level message; newErr is the error message.New returned for it.
func (w *walker) entity(e *message.Entity, newErr error, path string, depth int) {
	mediaType, params, _ := e.Header.ContentType()
	mediaType = strings.ToLower(mediaType)
	if !e.Header.Has("Content-Type") {
		// RFC 2045 section 5.2 makes such a part text/plain, but senders
		// attach reports without any Content-Type, so the bytes decide.
		mediaType = ""
	}

	switch {
	case message.IsUnknownCharset(newErr):
		// RFC 2046 section 4.1.2 applies charset only to text; a bogus one
		// on any part, binary parts included, must not lose the message.
		w.note(NoteUnknownCharset, path, "unknown charset %q, body read as it is", params["charset"])
	case message.IsUnknownEncoding(newErr):
		w.note(NoteUnknownEncoding, path, "unknown Content-Transfer-Encoding %q, body read as it is",
			e.Header.Get("Content-Transfer-Encoding"))
	}

	if depth > w.opts.MaxDepth {
		w.note(NoteDepthExceeded, path, "MIME nesting deeper than %d, part not read", w.opts.MaxDepth)
		return
	}

	switch {
	case strings.HasPrefix(mediaType, "multipart/") && e.MultipartReader() != nil:
		w.multipart(e, path, depth)
	case mediaType == "message/rfc822" || mediaType == "message/global":
		w.forwarded(e, path, depth)
	case strings.HasPrefix(mediaType, "text/") && !NamesReport(filename(e.Header)):
		// RFC 8460 section 5.3: the report is an attachment, never the
		// human-readable text part. A text part named like a report file
		// is an attachment that a sender or a client labelled as text.
	default:
		if path == "" {
			path = "1" // the body of a message that is not multipart
		}
		w.leaf(e, mediaType, path)
	}
}

func (w *walker) multipart(e *message.Entity, path string, depth int) {
	mr := e.MultipartReader()
	for i := 1; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if part == nil {
			// Mail.ru sends multipart bodies without the closing boundary
			// (testdata/corpus/tlsrpt-rs/mail.ru.eml); the parts read so
			// far are kept.
			w.note(NoteUnterminatedMultipart, path, "multipart body ends without its closing boundary, parts read so far kept")
			return
		}
		w.entity(part, err, sub(path, i), depth+1)
	}
}

func sub(path string, i int) string {
	if path == "" {
		return strconv.Itoa(i)
	}
	return path + "." + strconv.Itoa(i)
}

// forwarded enters a message/rfc822 part, such as a report mail forwarded
// as an attachment. Its parts are numbered below the part itself.
func (w *walker) forwarded(e *message.Entity, path string, depth int) {
	if path == "" {
		path = "1"
	}
	inner, err := message.Read(io.LimitReader(e.Body, w.opts.MaxPartSize))
	if inner == nil {
		w.note("invalid-forwarded-message", path, "forwarded message has an invalid header: %v", err)
		return
	}
	mediaType, _, _ := inner.Header.ContentType()
	if strings.HasPrefix(strings.ToLower(mediaType), "multipart/") {
		w.entity(inner, err, path, depth+1)
		return
	}
	w.entity(inner, err, path+".1", depth+1)
}

func (w *walker) leaf(e *message.Entity, mediaType, path string) {
	part := Part{Path: path, ContentType: mediaType}
	part.Filename = filename(e.Header)

	data, err := io.ReadAll(io.LimitReader(e.Body, w.opts.MaxPartSize+1))
	switch {
	case int64(len(data)) > w.opts.MaxPartSize:
		part.Err = fmt.Errorf("%w of %d bytes", ErrTooLarge, w.opts.MaxPartSize)
		data = nil
	case errors.Is(err, io.ErrUnexpectedEOF):
		// A body cut off by the end of an unterminated multipart: keep
		// what was read, as for the parts before it.
		w.note(NoteUnterminatedMultipart, path, "part body ends without a boundary, content read so far kept")
	case err != nil:
		part.Err = fmt.Errorf("decoding %s body: %w", transferEncoding(e.Header), err)
	}
	part.Data = data
	w.msg.Parts = append(w.msg.Parts, part)
}

func transferEncoding(h message.Header) string {
	if enc := h.Get("Content-Transfer-Encoding"); enc != "" {
		return strings.ToLower(enc)
	}
	return "7bit"
}

// NamesReport reports whether a file name ends like that of a report
// attachment: .json, .gz (.json.gz included) or .zip, in any case.
func NamesReport(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range []string{".json", ".gz", ".zip"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// filename returns the attachment name from Content-Disposition or else
// the Content-Type name parameter. RFC 2231 continuations (filename*0=,
// filename*1=) are joined by mime.ParseMediaType; RFC 2047 encoded words
// are decoded.
func filename(h message.Header) string {
	ah := mail.AttachmentHeader{Header: h}
	if name, err := ah.Filename(); err == nil && name != "" {
		return name
	}
	if _, params, err := h.ContentDisposition(); err == nil && params["filename"] != "" {
		return params["filename"]
	}
	if _, params, err := h.ContentType(); err == nil {
		return params["name"]
	}
	return ""
}
