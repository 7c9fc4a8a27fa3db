package report

import (
	"regexp"
	"strconv"
)

// warningCode is the form of every warning code: lower-case words joined
// by hyphens.
var warningCode = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ownMembers reads back _source, _warnings and _ingested from a line that
// tlsrpt wrote. They are checked as strictly as docs/report.schema.json
// describes them, because a line that breaks that format was not written by
// tlsrpt and would not survive another round through it.
func (p *parser) ownMembers(top int, r *Report) error {
	var at location
	if i := p.doc.member(top, MemberSource); i >= 0 && p.doc.nodes[i].kind != kindNull {
		src, err := p.source(i)
		if err != nil {
			return err
		}
		r.Source = src
	}

	if i := p.doc.member(top, MemberWarnings); i >= 0 && p.doc.nodes[i].kind != kindNull {
		if err := p.ownWarnings(i); err != nil {
			return err
		}
	}

	if i := p.doc.member(top, MemberIngested); i >= 0 && p.doc.nodes[i].kind != kindNull {
		t, err := p.datetime(i, at, MemberIngested)
		if err != nil {
			return err
		}
		r.Ingested = t
	}
	return nil
}

func (p *parser) source(obj int) (*Source, error) {
	at := location{object: MemberSource}
	if k := p.doc.nodes[obj].kind; k != kindObject {
		return nil, invalid(location{}, MemberSource, "want an object, got %s", k)
	}

	src := &Source{}
	for c := obj + 1; c < p.next(obj); c = p.next(c) {
		n := &p.doc.nodes[c]
		name, text := p.doc.name(c), p.doc.text(c)
		if name == "message" {
			v, err := strconv.ParseInt(text, 10, 0)
			if n.kind != kindNumber || err != nil || v < 1 {
				return nil, invalid(at, name, "want a message number of 1 or more, got %s", p.abbreviate(c))
			}
			src.Message = int(v)
			continue
		}

		var dst *string
		switch name {
		case "input":
			dst = &src.Input
		case "message-id":
			dst = &src.MessageID
		case "mime-part":
			dst = &src.Part
		case "filename":
			dst = &src.Filename
		case "report-domain":
			dst = &src.ReportDomain
		case "sha256":
			dst = &src.SHA256
		default:
			return nil, invalid(at, name, "not a member tlsrpt writes")
		}
		if n.kind != kindString || text == "" {
			return nil, invalid(at, name, "want a non-empty string, got %s", p.abbreviate(c))
		}
		*dst = text
	}
	if src.SHA256 != "" && !isLowerHex(src.SHA256, 64) {
		return nil, invalid(at, "sha256", "want 64 lower-case hex digits, got %q", src.SHA256)
	}
	return src, nil
}

func isLowerHex(s string, length int) bool {
	if len(s) != length {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

func (p *parser) ownWarnings(list int) error {
	if k := p.doc.nodes[list].kind; k != kindArray {
		return invalid(location{}, MemberWarnings, "want an array, got %s", k)
	}
	for c := list + 1; c < p.next(list); c = p.next(c) {
		w, err := p.ownWarning(c)
		if err != nil {
			return err
		}
		p.record(w)
	}
	return nil
}

func (p *parser) ownWarning(obj int) (Warning, error) {
	var w Warning
	at := location{object: MemberWarnings}
	if k := p.doc.nodes[obj].kind; k != kindObject {
		return w, invalid(at, "", "want an object, got %s", k)
	}
	for c := obj + 1; c < p.next(obj); c = p.next(c) {
		n := &p.doc.nodes[c]
		name, text := p.doc.name(c), p.doc.text(c)
		var dst *string
		switch name {
		case "code":
			dst = &w.Code
		case "path":
			dst = &w.Path
		case "message":
			dst = &w.Message
		default:
			return w, invalid(at, name, "not a member tlsrpt writes")
		}
		if n.kind != kindString || text == "" {
			return w, invalid(at, name, "want a non-empty string, got %s", p.abbreviate(c))
		}
		*dst = text
	}
	if !warningCode.MatchString(w.Code) {
		return w, invalid(at, "code", "want lower-case words joined by hyphens, got %q", w.Code)
	}
	if w.Message == "" {
		return w, invalid(at, "message", "missing")
	}
	return w, nil
}
