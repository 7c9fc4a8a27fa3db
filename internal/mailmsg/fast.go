package mailmsg

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"strconv"
	"strings"
)

// parseFast parses the shape nearly every report mail has: an ASCII
// header, one multipart body with its closing boundary, and leaf parts in
// 7bit, 8bit, binary, base64 or quoted-printable. It does in one pass over
// the bytes what go-message does through layers of readers, and returns
// ok=false for anything outside that shape, so that Parse falls back to
// go-message, the MIME parser of record. For every message it accepts it
// must return exactly what the go-message walk returns; FuzzFastPath and
// TestFastPathCorpus check that.
func parseFast(data []byte, opts Options) (*Message, bool) {
	if !consistentLineEnds(data) {
		return nil, false
	}
	header, body, ok := splitHeader(data)
	if !ok {
		return nil, false
	}
	mediaType, params, ok := contentType(header)
	if !ok || !strings.HasPrefix(mediaType, "multipart/") || opts.MaxDepth < 1 {
		return nil, false
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, false
	}
	subject := header.get("Subject")
	if strings.Contains(subject, "=?") {
		return nil, false // encoded words: go-message decodes them
	}

	msg := &Message{
		MessageID:    strings.TrimSpace(header.get("Message-Id")),
		ReportDomain: strings.TrimSpace(header.get("Tls-Report-Domain")),
		Subject:      subject,
	}
	parts, ok := splitMultipart(body, boundary)
	if !ok {
		return nil, false
	}
	for i, raw := range parts {
		part, keep, ok := fastLeaf(raw, strconv.Itoa(i+1), opts)
		if !ok {
			return nil, false
		}
		if keep {
			msg.Parts = append(msg.Parts, part)
		}
	}
	return msg, true
}

// consistentLineEnds reports whether data uses only LF or only CRLF line
// ends, with no bare CR.
func consistentLineEnds(data []byte) bool {
	crlf := bytes.IndexByte(data, '\r') >= 0
	if !crlf {
		return true
	}
	if bytes.Count(data, []byte("\r")) != bytes.Count(data, []byte("\n")) {
		return false
	}
	return bytes.Count(data, []byte("\r\n")) == bytes.Count(data, []byte("\n"))
}

// fastHeader is a parsed header block, fields in order.
type fastHeader []fastField

type fastField struct {
	key   string // as written, trimmed
	value string // unfolded as go-message's textproto.ReadHeader does
}

// get returns the value of the first field named key, as
// textproto.Header.Get in go-message v0.18.2 does: it keeps fields in
// reverse order and returns the last of them.
func (h fastHeader) get(key string) string {
	v, _ := h.lookup(key)
	return v
}

func (h fastHeader) lookup(key string) (string, bool) {
	for _, f := range h {
		if strings.EqualFold(f.key, key) {
			return f.value, true
		}
	}
	return "", false
}

// splitHeader parses the header block at the start of data and returns
// it with the body after the blank line. It rejects (ok=false) any header
// go-message might read differently: non-ASCII or control bytes, a line
// without a colon, a first line that is a continuation, or no blank line.
func splitHeader(data []byte) (fastHeader, []byte, bool) {
	const maxHeader = 64 << 10
	if len(data) == 0 || data[0] == ' ' || data[0] == '\t' {
		return nil, nil, false
	}
	var h fastHeader
	rest := data
	for {
		end := bytes.IndexByte(rest, '\n')
		if end < 0 || len(data)-len(rest) > maxHeader {
			return nil, nil, false
		}
		line := bytes.TrimSuffix(rest[:end], []byte("\r"))
		rest = rest[end+1:]
		if len(line) == 0 {
			return h, rest, true
		}

		colon := bytes.IndexByte(line, ':')
		if colon < 0 || !plainASCII(line) {
			return nil, nil, false
		}
		key := trimSpaceTab(line[:colon])
		for _, c := range key {
			if c < 33 || c > 126 {
				return nil, nil, false
			}
		}
		wanted := isWantedField(key)

		// Gather continuation lines, which start with a space or a tab.
		var value [][]byte
		if wanted {
			value = append(value, line[colon+1:])
		}
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			end := bytes.IndexByte(rest, '\n')
			if end < 0 {
				return nil, nil, false
			}
			cont := bytes.TrimSuffix(rest[:end], []byte("\r"))
			if !plainASCII(cont) {
				return nil, nil, false
			}
			if wanted {
				value = append(value, cont)
			}
			rest = rest[end+1:]
		}

		// go-message skips a field with an empty name; fields that
		// tlsrpt never reads are checked but not kept.
		if len(key) > 0 && wanted {
			h = append(h, fastField{key: string(key), value: unfold(value)})
		}
	}
}

// wantedFields are the header fields the walk reads.
var wantedFields = []string{
	"Content-Type", "Content-Disposition", "Content-Transfer-Encoding",
	"Subject", "Message-Id", "Tls-Report-Domain",
}

func isWantedField(key []byte) bool {
	for _, name := range wantedFields {
		if len(key) == len(name) && strings.EqualFold(string(key), name) {
			return true
		}
	}
	return false
}

func plainASCII(line []byte) bool {
	for _, c := range line {
		if c >= 0x7f || (c < 0x20 && c != '\t') {
			return false
		}
	}
	return true
}

func trimSpaceTab(s []byte) []byte {
	return bytes.Trim(s, " \t")
}

// unfold joins the lines of a field value with one space, leaving out
// empty lines and the spaces and tabs around each, as go-message does.
func unfold(lines [][]byte) string {
	var b strings.Builder
	for _, l := range lines {
		l = trimSpaceTab(l)
		if len(l) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(l)
	}
	return b.String()
}

// contentType returns the lower-case media type and parameters of the
// header, "" when it has no Content-Type. ok is false when the field
// does not parse or a parameter holds RFC 2047 encoded words.
func contentType(h fastHeader) (string, map[string]string, bool) {
	v, present := h.lookup("Content-Type")
	if !present {
		return "", nil, true
	}
	return mediaParams(v)
}

func mediaParams(v string) (string, map[string]string, bool) {
	if v == "" {
		return "", nil, false
	}
	mediaType, params, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil, false
	}
	for _, p := range params {
		if strings.Contains(p, "=?") {
			return "", nil, false
		}
	}
	return mediaType, params, true
}

// splitMultipart returns the raw parts (header and body) of a multipart
// body. It requires the closing boundary and rejects a body in which a
// line starts with the boundary but is neither a delimiter nor the close.
func splitMultipart(body []byte, boundary string) ([][]byte, bool) {
	dash := "--" + boundary
	var parts [][]byte
	start := -1 // offset of the current part's first byte
	pos := 0
	for pos < len(body) {
		end := bytes.IndexByte(body[pos:], '\n')
		lineEnd := len(body)
		if end >= 0 {
			lineEnd = pos + end + 1
		}
		line := body[pos:lineEnd]
		if bytes.HasPrefix(line, []byte(dash)) {
			rest := bytes.TrimRight(line[len(dash):], " \t\r\n")
			closing := string(rest) == "--"
			if len(rest) != 0 && !closing {
				return nil, false
			}
			if end < 0 && !closing {
				return nil, false
			}
			if start >= 0 {
				// The line end before the delimiter belongs to it.
				content := body[start:pos]
				switch {
				case bytes.HasSuffix(content, []byte("\r\n")):
					content = content[:len(content)-2]
				case bytes.HasSuffix(content, []byte("\n")):
					content = content[:len(content)-1]
				default:
					return nil, false
				}
				parts = append(parts, content)
			}
			if closing {
				return parts, len(parts) > 0
			}
			start = lineEnd
		}
		pos = lineEnd
	}
	return nil, false // no closing boundary: go-message records a note
}

// fastLeaf decodes one raw part. keep is false for a text part that is
// not named like a report file.
func fastLeaf(raw []byte, path string, opts Options) (Part, bool, bool) {
	header, body, ok := splitHeader(raw)
	if !ok {
		return Part{}, false, false
	}
	mediaType, params, ok := contentType(header)
	if !ok {
		return Part{}, false, false
	}
	if strings.HasPrefix(mediaType, "multipart/") || strings.HasPrefix(mediaType, "message/") {
		return Part{}, false, false
	}
	encoding := strings.ToLower(header.get("Content-Transfer-Encoding"))
	switch encoding {
	case "", "7bit", "8bit", "binary", "base64", "quoted-printable":
	default:
		return Part{}, false, false // go-message records a note
	}
	filename, ok := fastFilename(header, params)
	if !ok {
		return Part{}, false, false
	}
	if strings.HasPrefix(mediaType, "text/") {
		charset, hasCharset := params["charset"]
		charset = strings.ToLower(charset)
		if hasCharset && charset != "utf-8" && charset != "us-ascii" {
			return Part{}, false, false // go-message may convert or note it
		}
		if !NamesReport(filename) {
			return Part{}, false, true
		}
	}

	part := Part{Path: path, ContentType: mediaType, Filename: filename}

	data, ok := decodeBody(body, encoding)
	if !ok || int64(len(data)) > opts.MaxPartSize {
		return Part{}, false, false
	}
	part.Data = data
	return part, true, true
}

// fastFilename returns the Content-Disposition filename, or else the
// Content-Type name, as filename does through go-message.
func fastFilename(header fastHeader, typeParams map[string]string) (string, bool) {
	if v, present := header.lookup("Content-Disposition"); present {
		_, params, ok := mediaParams(v)
		if !ok {
			return "", false
		}
		if name := params["filename"]; name != "" {
			return name, true
		}
	}
	return typeParams["name"], true
}

// decodeBody decodes a part body. It returns ok=false whenever decoding
// fails, because go-message then returns partial data with an error.
func decodeBody(body []byte, encoding string) ([]byte, bool) {
	switch encoding {
	case "base64":
		clean := make([]byte, 0, len(body))
		for len(body) > 0 {
			line := body
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				line = body[:i]
				body = body[i+1:]
			} else {
				body = nil
			}
			line = bytes.TrimRight(line, "\r")
			if bytes.ContainsAny(line, " \t\r") {
				for _, c := range line {
					if c != ' ' && c != '\t' && c != '\r' {
						clean = append(clean, c)
					}
				}
				continue
			}
			clean = append(clean, line...)
		}
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			return nil, false
		}
		return out[:n], true
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return nil, false
		}
		return out, true
	}
	return bytes.Clone(body), true
}
