// Package payload turns the decoded bytes of one MIME part, or one file,
// into report documents. It decides by the bytes, never by the media type
// or the file name: gzip magic, zip magic or a JSON text. Decompression is
// bounded, so a gzip bomb is rejected after reading at most the limit.
package payload

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
)

// Kind is the format of a payload, found from its leading bytes.
type Kind int

// Payload kinds.
const (
	Unknown Kind = iota
	Gzip
	Zip
	JSON
)

func (k Kind) String() string {
	switch k {
	case Gzip:
		return "gzip"
	case Zip:
		return "zip"
	case JSON:
		return "JSON"
	}
	return "unknown"
}

// ErrTooLarge is returned when a decompressed report exceeds the limit.
var ErrTooLarge = errors.New("decompressed report exceeds the size limit")

// ErrUnknownFormat is returned for a payload that is neither gzip, zip
// nor JSON.
var ErrUnknownFormat = errors.New("payload is neither gzip, zip nor JSON")

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte("PK\x03\x04")
	utf8BOM   = []byte{0xEF, 0xBB, 0xBF}
)

// Sniff returns the kind of data from its leading bytes. A JSON text may
// start with a UTF-8 byte order mark and white space.
func Sniff(data []byte) Kind {
	switch {
	case bytes.HasPrefix(data, gzipMagic):
		return Gzip
	case bytes.HasPrefix(data, zipMagic):
		return Zip
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) > 0 && (data[0] == '{' || data[0] == '[') {
		return JSON
	}
	return Unknown
}

// Document is one JSON text found in a payload.
type Document struct {
	Kind     Kind   // the outer format the document was found in
	Filename string // zip member name; empty outside a zip archive
	Data     []byte // the JSON text
	Notes    []Note // tolerated deviations in the carrier
}

// Note is a tolerated deviation of the carrier, not of the report itself.
type Note struct {
	Code    string
	Message string
}

// Note codes.
const (
	NoteGzipTrailingData = "gzip-trailing-data"
)

// maxZipMembers bounds the number of archive members read from one zip.
const maxZipMembers = 1000

// Decode returns the JSON documents that data holds: itself for JSON, the
// decompressed member for gzip, and every .json (or .json.gz) member for
// zip. maxSize bounds the decompressed documents together, so that a zip
// archive of many members costs no more memory than one large report;
// maxSize <= 0 means no limit.
func Decode(data []byte, maxSize int64) ([]Document, error) {
	return decode(data, maxSize, 0)
}

func decode(data []byte, maxSize int64, depth int) ([]Document, error) {
	kind := Sniff(data)
	switch kind {
	case JSON:
		if maxSize > 0 && int64(len(data)) > maxSize {
			return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, maxSize)
		}
		return []Document{{Kind: JSON, Data: data}}, nil
	case Gzip:
		out, notes, err := Gunzip(data, maxSize)
		if err != nil {
			return nil, err
		}
		if inner := Sniff(out); inner != JSON {
			return nil, fmt.Errorf("gzip contains %s data, expected a JSON report", inner)
		}
		return []Document{{Kind: Gzip, Data: out, Notes: notes}}, nil
	case Zip:
		if depth > 0 {
			return nil, errors.New("zip archive nested in an archive")
		}
		return unzip(data, maxSize)
	}
	return nil, ErrUnknownFormat
}

// Gunzip decompresses the gzip data, reading at most maxSize+1 bytes of
// output. Concatenated members are joined, as RFC 1952 section 2.2 allows.
// Bytes after the last member that do not start another member, such as
// the CRLF some senders append, are ignored with a note.
func Gunzip(data []byte, maxSize int64) ([]byte, []Note, error) {
	src := bytes.NewReader(data)
	zr, err := newGzipReader(src)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid gzip: %w", err)
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false)

	out := make([]byte, 0, sizeHint(data, maxSize))
	var notes []Note
	for {
		out, err = readLimited(out, zr, maxSize)
		if err != nil {
			return nil, nil, err
		}

		rest := data[len(data)-src.Len():]
		if len(rest) == 0 {
			break
		}
		if !bytes.HasPrefix(rest, gzipMagic) {
			notes = append(notes, Note{
				Code:    NoteGzipTrailingData,
				Message: fmt.Sprintf("%d bytes after the end of the gzip data, ignored", len(rest)),
			})
			break
		}
		if err := zr.Reset(src); err != nil {
			return nil, nil, fmt.Errorf("invalid gzip member: %w", err)
		}
		zr.Multistream(false)
	}
	return out, notes, nil
}

// gzipReaders keeps decompressors for reuse: each holds tens of kilobytes
// of tables and window, which would otherwise be allocated per report.
var gzipReaders sync.Pool

func newGzipReader(src *bytes.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipReaders.Get().(*gzip.Reader); ok {
		if err := zr.Reset(src); err != nil {
			gzipReaders.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(src)
}

// readLimited appends r to out until EOF. It fails with ErrTooLarge once
// out would exceed maxSize (maxSize <= 0 means no limit), and never grows
// out beyond maxSize+1 bytes, so a gzip bomb costs at most about twice
// the limit in allocations.
func readLimited(out []byte, r io.Reader, maxSize int64) ([]byte, error) {
	for {
		if len(out) == cap(out) {
			newCap := 2*cap(out) + 512
			if maxSize > 0 && int64(newCap) > maxSize+1 {
				newCap = int(maxSize + 1)
			}
			if newCap <= cap(out) {
				return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, maxSize)
			}
			out = append(out[:cap(out)], make([]byte, newCap-cap(out))...)[:len(out)]
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if maxSize > 0 && int64(len(out)) > maxSize {
			return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, maxSize)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("invalid gzip: %w", err)
		}
	}
}

// sizeHint returns the size to allocate for the decompressed data: the
// ISIZE field of the gzip trailer (RFC 1952 section 2.3.1), which the
// sender controls, so it is capped by maxSize and by a multiple of the
// compressed size.
func sizeHint(data []byte, maxSize int64) int {
	const minHint = 512
	if len(data) < 18 {
		return minHint
	}
	hint := int64(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if ceiling := int64(len(data)) * 64; hint > ceiling {
		hint = ceiling
	}
	if maxSize > 0 && hint > maxSize {
		hint = maxSize
	}
	if hint < minHint {
		hint = minHint
	}
	return int(hint) + 1
}

// unzip returns the report documents of a zip archive: members whose name
// ends in .json or .json.gz, or, when there are none, every member that
// holds JSON or gzip.
func unzip(data []byte, maxSize int64) ([]Document, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("invalid zip: %w", err)
	}
	if len(zr.File) > maxZipMembers {
		return nil, fmt.Errorf("zip archive has %d members, more than %d", len(zr.File), maxZipMembers)
	}

	var docs []Document
	remaining := maxSize
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !isReportName(f.Name) {
			continue
		}
		if maxSize > 0 && remaining <= 0 {
			return nil, fmt.Errorf("zip member %q: %w", f.Name, TotalTooLarge(maxSize, "archive"))
		}
		member, err := readZipMember(f, maxSize)
		if err == nil {
			var inner []Document
			inner, err = decode(member, remaining, 1)
			for _, d := range inner {
				d.Kind = Zip
				d.Filename = f.Name
				docs = append(docs, d)
				remaining -= int64(len(d.Data))
			}
		}
		if errors.Is(err, ErrTooLarge) && remaining < maxSize {
			err = TotalTooLarge(maxSize, "archive")
		}
		if err != nil {
			return nil, fmt.Errorf("zip member %q: %w", f.Name, err)
		}
	}
	if len(docs) == 0 {
		return nil, errors.New("zip archive contains no .json report")
	}
	return docs, nil
}

// TotalTooLarge returns the error for a report that fits the limit alone
// but not together with the reports before it in the same container, such
// as a zip archive or a message.
func TotalTooLarge(maxSize int64, container string) error {
	return fmt.Errorf("%w of %d bytes together with the reports before it in the %s", ErrTooLarge, maxSize, container)
}

func isReportName(name string) bool {
	name = strings.ToLower(path.Base(name))
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".json.gz")
}

func readZipMember(f *zip.File, maxSize int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	// The size in the archive sizes the buffer, capped by maxSize because
	// the sender wrote it.
	hint := int64(f.UncompressedSize64)
	if maxSize > 0 && hint > maxSize {
		hint = maxSize
	}
	hint = min(max(hint, 512), 64<<20)
	return readLimited(make([]byte, 0, hint+1), rc, maxSize)
}
