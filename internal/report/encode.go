package report

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// MarshalJSON encodes the report as one line of compact JSON: the RFC 8460
// members in the order of the RFC's own example, then unknown members, then
// tlsrpt's _source, _warnings and _ingested.
func (r *Report) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(nil), nil
}

// AppendJSON appends the JSON encoding of the report to buf, without a
// trailing newline.
func (r *Report) AppendJSON(buf []byte) []byte {
	return r.appendJSON(buf, true)
}

// AppendRFC appends only the RFC 8460 content of the report: the members a
// sender wrote, normalised, without _source, _warnings or _ingested. Two
// reports with equal RFC content are the same report.
func (r *Report) AppendRFC(buf []byte) []byte {
	return r.appendJSON(buf, false)
}

func (r *Report) appendJSON(b []byte, withOwn bool) []byte {
	b = append(b, `{"organization-name":`...)
	b = appendString(b, r.OrganizationName)
	b = append(b, `,"date-range":{"start-datetime":`...)
	b = appendTime(b, r.Start)
	b = append(b, `,"end-datetime":`...)
	b = appendTime(b, r.End)
	b = appendMembers(b, r.DateRangeExtra)
	b = append(b, `},"contact-info":`...)
	b = appendString(b, r.ContactInfo)
	b = append(b, `,"report-id":`...)
	b = appendString(b, r.ReportID)
	b = append(b, `,"policies":[`...)
	for i := range r.Policies {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.Policies[i].appendJSON(b)
	}
	b = append(b, ']')
	b = appendMembers(b, r.Extra)

	if withOwn {
		if r.Source != nil {
			b = append(b, `,"`+MemberSource+`":`...)
			b = r.Source.appendJSON(b)
		}
		if len(r.Warnings) > 0 {
			b = append(b, `,"`+MemberWarnings+`":[`...)
			for i, w := range r.Warnings {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"code":`...)
				b = appendString(b, w.Code)
				if w.Path != "" {
					b = append(b, `,"path":`...)
					b = appendString(b, w.Path)
				}
				b = append(b, `,"message":`...)
				b = appendString(b, w.Message)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		if !r.Ingested.IsZero() {
			b = append(b, `,"`+MemberIngested+`":`...)
			b = appendTime(b, r.Ingested)
		}
	}
	return append(b, '}')
}

// appendJSON writes the members that are set, in the order of the Source
// fields. It escapes as appendString does, so a Message-ID such as
// "<abc@example.com>" stays readable.
func (s *Source) appendJSON(b []byte) []byte {
	start := len(b)
	b = appendOptional(b, "input", s.Input)
	if s.Message > 0 {
		b = append(b, `,"message":`...)
		b = strconv.AppendInt(b, int64(s.Message), 10)
	}
	b = appendOptional(b, "message-id", s.MessageID)
	b = appendOptional(b, "mime-part", s.Part)
	b = appendOptional(b, "filename", s.Filename)
	b = appendOptional(b, "report-domain", s.ReportDomain)
	b = appendOptional(b, "sha256", s.SHA256)
	if len(b) == start {
		return append(b, "{}"...)
	}
	b[start] = '{' // the comma before the first member
	return append(b, '}')
}

// appendTime appends t as formatTime writes it, in double quotes. The
// format has no character that JSON escapes.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendOptional appends ,"name":"value" unless value is empty.
func appendOptional(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

func (p *Policy) appendJSON(b []byte) []byte {
	b = append(b, `{"policy":{"policy-type":`...)
	b = appendString(b, p.Type)
	b = append(b, `,"policy-string":`...)
	b = appendStrings(b, p.Strings)
	b = append(b, `,"policy-domain":`...)
	b = appendString(b, p.Domain)
	b = append(b, `,"mx-host":`...)
	b = appendStrings(b, p.MXHosts)
	b = appendMembers(b, p.PolicyExtra)
	b = append(b, `},"summary":{"total-successful-session-count":`...)
	b = strconv.AppendInt(b, p.Successful, 10)
	b = append(b, `,"total-failure-session-count":`...)
	b = strconv.AppendInt(b, p.Failed, 10)
	b = appendMembers(b, p.SummaryExtra)
	b = append(b, `},"failure-details":[`...)
	for i := range p.FailureDetails {
		if i > 0 {
			b = append(b, ',')
		}
		b = p.FailureDetails[i].appendJSON(b)
	}
	b = append(b, ']')
	b = appendMembers(b, p.Extra)
	return append(b, '}')
}

func (d *FailureDetail) appendJSON(b []byte) []byte {
	b = append(b, `{"result-type":`...)
	b = appendString(b, d.ResultType)
	b = appendOptional(b, "sending-mta-ip", d.SendingMTAIP)
	b = appendOptional(b, "receiving-mx-hostname", d.ReceivingMXHostname)
	b = appendOptional(b, "receiving-mx-helo", d.ReceivingMXHelo)
	b = appendOptional(b, "receiving-ip", d.ReceivingIP)
	b = append(b, `,"failed-session-count":`...)
	b = strconv.AppendInt(b, d.FailedSessionCount, 10)
	b = appendOptional(b, "additional-information", d.AdditionalInformation)
	b = appendOptional(b, "failure-reason-code", d.FailureReasonCode)
	b = appendMembers(b, d.Extra)
	return append(b, '}')
}

func appendMembers(b []byte, members Members) []byte {
	for _, m := range members {
		b = append(b, ',')
		b = appendString(b, m.Name)
		b = append(b, ':')
		b = append(b, m.Value...)
	}
	return b
}

func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Unlike encoding/json it leaves
// <, > and & alone, so report-ids such as "<123+example.com>" stay readable
// to grep. Invalid UTF-8 becomes U+FFFD, as in encoding/json.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript readers.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
