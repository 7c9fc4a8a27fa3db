package report

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects, so a hostile report
// cannot exhaust the stack. RFC 8460 reports nest five levels deep.
const maxDepth = 256

type kind uint8

const (
	kindNull kind = iota
	kindFalse
	kindTrue
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"null", "false", "true", "a number", "a string", "an array", "an object"}[k]
}

// node is one JSON value of a document. The nodes of a document are stored
// in pre-order in one slice, so the first child of node i is node i+1 and
// the next sibling of node i is node next. A node holds no pointers, so
// the GC neither scans the slice nor pays write barriers to fill it.
type node struct {
	kind kind
	name span  // member name when the parent is an object
	text span  // string value, or the number as written
	next int32 // index of the node after this value and all its children
}

// span locates a string: src[start:end], or decoded[-start-1] when start
// is negative because the string had escapes or invalid UTF-8.
type span struct {
	start, end int32
}

// document is a parsed JSON text. Strings without escapes share the memory
// of src, so parsing allocates little more than the node slice.
type document struct {
	src     string
	nodes   []node
	decoded []string
}

func (d *document) str(s span) string {
	if s.start < 0 {
		return d.decoded[-s.start-1]
	}
	return d.src[s.start:s.end]
}

// name returns the member name of node i.
func (d *document) name(i int) string {
	return d.str(d.nodes[i].name)
}

// text returns the string value or number text of node i.
func (d *document) text(i int) string {
	return d.str(d.nodes[i].text)
}

// errSyntax is wrapped by every error that parseDocument returns.
var errSyntax = errors.New("invalid JSON")

// parseDocument parses one JSON text (RFC 8259) with nothing but white
// space after it. Invalid UTF-8 in strings becomes U+FFFD, as
// encoding/json does.
func parseDocument(src string, doc *document) error {
	s := scanner{src: src, doc: doc}
	doc.src = src
	doc.nodes = doc.nodes[:0]
	doc.decoded = doc.decoded[:0]
	if len(src) >= math.MaxInt32 {
		return fmt.Errorf("%w: %d bytes is too large for one report", errSyntax, len(src))
	}
	s.skipSpace()
	if err := s.value(0, span{}); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos < len(s.src) {
		return s.errorf("data after the JSON value")
	}
	return nil
}

type scanner struct {
	src string
	pos int
	doc *document
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, s.pos, fmt.Sprintf(format, args...))
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value parses the value at s.pos, which follows any white space.
func (s *scanner) value(depth int, name span) error {
	if s.pos >= len(s.src) {
		return s.errorf("unexpected end of input")
	}
	index := len(s.doc.nodes)
	s.doc.nodes = append(s.doc.nodes, node{name: name})
	n := &s.doc.nodes[index]

	switch c := s.src[s.pos]; {
	case c == '{':
		if depth >= maxDepth {
			return s.errorf("nested deeper than %d levels", maxDepth)
		}
		n.kind = kindObject
		if err := s.object(depth + 1); err != nil {
			return err
		}
	case c == '[':
		if depth >= maxDepth {
			return s.errorf("nested deeper than %d levels", maxDepth)
		}
		n.kind = kindArray
		if err := s.array(depth + 1); err != nil {
			return err
		}
	case c == '"':
		text, err := s.string()
		if err != nil {
			return err
		}
		n.kind, n.text = kindString, text
	case c == '-' || (c >= '0' && c <= '9'):
		text, err := s.number()
		if err != nil {
			return err
		}
		n.kind, n.text = kindNumber, text
	case c == 't':
		n.kind = kindTrue
		if err := s.literal("true"); err != nil {
			return err
		}
	case c == 'f':
		n.kind = kindFalse
		if err := s.literal("false"); err != nil {
			return err
		}
	case c == 'n':
		n.kind = kindNull
		if err := s.literal("null"); err != nil {
			return err
		}
	default:
		return s.errorf("unexpected %q where a value should start", c)
	}

	// The append calls above may have moved the slice, so index it again.
	s.doc.nodes[index].next = int32(len(s.doc.nodes))
	return nil
}

func (s *scanner) literal(word string) error {
	if len(s.src)-s.pos < len(word) || s.src[s.pos:s.pos+len(word)] != word {
		return s.errorf("invalid literal, want %s", word)
	}
	s.pos += len(word)
	return nil
}

func (s *scanner) object(depth int) error {
	s.pos++ // '{'
	s.skipSpace()
	if s.pos < len(s.src) && s.src[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		if s.pos >= len(s.src) {
			return s.errorf("unexpected end of input in an object")
		}
		if s.src[s.pos] != '"' {
			return s.errorf("want a member name in double quotes")
		}
		name, err := s.string()
		if err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.src) || s.src[s.pos] != ':' {
			return s.errorf("want ':' after member name %q", s.doc.str(name))
		}
		s.pos++
		s.skipSpace()
		if err := s.value(depth, name); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.errorf("unexpected end of input in an object")
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.skipSpace()
		case '}':
			s.pos++
			return nil
		default:
			return s.errorf("want ',' or '}' after an object member")
		}
	}
}

func (s *scanner) array(depth int) error {
	s.pos++ // '['
	s.skipSpace()
	if s.pos < len(s.src) && s.src[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth, span{}); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.src) {
			return s.errorf("unexpected end of input in an array")
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.skipSpace()
		case ']':
			s.pos++
			return nil
		default:
			return s.errorf("want ',' or ']' after an array element")
		}
	}
}

// number checks the RFC 8259 number grammar and returns the text as written.
func (s *scanner) number() (span, error) {
	start := s.pos
	if s.src[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.src) && s.src[s.pos] == '0':
		s.pos++
	case s.pos < len(s.src) && s.src[s.pos] >= '1' && s.src[s.pos] <= '9':
		s.digits()
	default:
		return span{}, s.errorf("invalid number")
	}
	if s.pos < len(s.src) && s.src[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return span{}, s.errorf("invalid number: no digits after the decimal point")
		}
	}
	if s.pos < len(s.src) && (s.src[s.pos] == 'e' || s.src[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.src) && (s.src[s.pos] == '+' || s.src[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return span{}, s.errorf("invalid number: no digits in the exponent")
		}
	}
	return span{int32(start), int32(s.pos)}, nil
}

func (s *scanner) digits() int {
	start := s.pos
	for s.pos < len(s.src) && s.src[s.pos] >= '0' && s.src[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// string parses a string at s.pos and returns where its decoded text is.
// A string without escapes or non-ASCII bytes is a span of src.
func (s *scanner) string() (span, error) {
	s.pos++ // opening quote
	start := s.pos
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '"':
			text := span{int32(start), int32(s.pos)}
			s.pos++
			return text, nil
		case c == '\\' || c >= utf8.RuneSelf:
			return s.slowString(start)
		case c < 0x20:
			return span{}, s.errorf("control character %#02x in a string", c)
		}
		s.pos++
	}
	return span{}, s.errorf("unterminated string")
}

// slowString decodes the rest of a string that has escapes or non-ASCII
// bytes. The string started at start, the byte after the opening quote, and
// s.pos is at the first escape or non-ASCII byte.
func (s *scanner) slowString(start int) (span, error) {
	buf := make([]byte, 0, s.pos-start+64)
	buf = append(buf, s.src[start:s.pos]...)
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.doc.decoded = append(s.doc.decoded, string(buf))
			return span{start: -int32(len(s.doc.decoded)), end: 0}, nil
		case c < 0x20:
			return span{}, s.errorf("control character %#02x in a string", c)
		case c == '\\':
			var err error
			if buf, err = s.escape(buf); err != nil {
				return span{}, err
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			s.pos++
		default:
			r, size := utf8.DecodeRuneInString(s.src[s.pos:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, s.src[s.pos:s.pos+size]...)
			}
			s.pos += size
		}
	}
	return span{}, s.errorf("unterminated string")
}

// escape decodes the escape sequence at s.pos and appends it to buf.
func (s *scanner) escape(buf []byte) ([]byte, error) {
	if s.pos+1 >= len(s.src) {
		return nil, s.errorf("unterminated string")
	}
	c := s.src[s.pos+1]
	s.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := s.hex4()
		if !ok {
			return nil, s.errorf(`invalid \u escape`)
		}
		if utf16.IsSurrogate(r) {
			// A surrogate pair is written as two escapes; a lone
			// surrogate becomes U+FFFD, as in encoding/json.
			low := utf8.RuneError
			if s.pos+1 < len(s.src) && s.src[s.pos] == '\\' && s.src[s.pos+1] == 'u' {
				save := s.pos
				s.pos += 2
				if r2, ok := s.hex4(); ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
					low = r2
				} else {
					s.pos = save
				}
			}
			r = utf16.DecodeRune(r, low)
		}
		return utf8.AppendRune(buf, r), nil
	default:
		s.pos--
		return nil, s.errorf("invalid escape \\%c", c)
	}
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.src)-s.pos < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s.src[s.pos:s.pos+4], 16, 16)
	if err != nil {
		return 0, false
	}
	s.pos += 4
	return rune(n), true
}

// member returns the index of the last member called name of the object at
// index obj, or -1. The last one wins when a name repeats, as in
// encoding/json.
func (d *document) member(obj int, name string) int {
	if obj < 0 || d.nodes[obj].kind != kindObject {
		return -1
	}
	found := -1
	for i := obj + 1; i < int(d.nodes[obj].next); i = int(d.nodes[i].next) {
		if d.name(i) == name {
			found = i
		}
	}
	return found
}

// count returns the number of children of the container at index i.
func (d *document) count(i int) int {
	n := 0
	for c := i + 1; c < int(d.nodes[i].next); c = int(d.nodes[c].next) {
		n++
	}
	return n
}

// appendValue appends the value at index i as compact JSON, with strings
// escaped as AppendJSON escapes them.
func (d *document) appendValue(b []byte, i int) []byte {
	n := &d.nodes[i]
	switch n.kind {
	case kindNull:
		return append(b, "null"...)
	case kindFalse:
		return append(b, "false"...)
	case kindTrue:
		return append(b, "true"...)
	case kindNumber:
		return append(b, d.text(i)...)
	case kindString:
		return appendString(b, d.text(i))
	case kindArray:
		b = append(b, '[')
		for c := i + 1; c < int(n.next); c = int(d.nodes[c].next) {
			if c > i+1 {
				b = append(b, ',')
			}
			b = d.appendValue(b, c)
		}
		return append(b, ']')
	default:
		b = append(b, '{')
		for c := i + 1; c < int(n.next); c = int(d.nodes[c].next) {
			if c > i+1 {
				b = append(b, ',')
			}
			b = appendString(b, d.name(c))
			b = append(b, ':')
			b = d.appendValue(b, c)
		}
		return append(b, '}')
	}
}
