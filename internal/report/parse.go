package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Hints are facts from the carrier of a report that can fill in what a
// sender left out.
type Hints struct {
	ReportDomain string // TLS-Report-Domain header (RFC 8460 section 5.3)
	Filename     string // attachment name (RFC 8460 section 5.1)
}

// ErrInvalid marks a payload that is not a usable RFC 8460 report. Errors
// returned by Parse wrap it and say which member is at fault.
var ErrInvalid = errors.New("not a usable RFC 8460 report")

// Warning codes, one per kind of tolerated deviation.
const (
	WarnByteOrderMark     = "byte-order-mark"
	WarnMissingMember     = "missing-member"
	WarnNullMember        = "null-member"
	WarnWrongType         = "wrong-type"
	WarnDatetimeNoZone    = "datetime-without-zone"
	WarnStringNotArray    = "string-not-array"
	WarnCountAsString     = "count-as-string"
	WarnPolicyTypeCase    = "policy-type-case"
	WarnUnknownPolicyType = "unregistered-policy-type"
	WarnUnknownResultType = "unregistered-result-type"
	WarnTrailingDot       = "trailing-dot"
	WarnEmptyIP           = "empty-ip"
	WarnInvalidIP         = "invalid-ip"
	WarnDomainFromHeader  = "policy-domain-from-header"
	WarnDomainFromName    = "policy-domain-from-filename"
	WarnCountMismatch     = "failure-count-mismatch"
)

// RFC 8460 section 6.4.1: the registered policy types.
var policyTypes = map[string]bool{"tlsa": true, "sts": true, "no-policy-found": true}

// RFC 8460 section 6.6 (the "STARTTLS Validation Result Types" registry).
var resultTypes = map[string]bool{
	"starttls-not-supported":    true,
	"certificate-host-mismatch": true,
	"certificate-expired":       true,
	"certificate-not-trusted":   true,
	"validation-failure":        true,
	"tlsa-invalid":              true,
	"dnssec-invalid":            true,
	"dane-required":             true,
	"sts-policy-fetch-error":    true,
	"sts-policy-invalid":        true,
	"sts-webpki-invalid":        true,
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse decodes one report and normalises it: datetimes in UTC, counts as
// integers, policy-string, mx-host and failure-details as arrays and
// policy-type in lower case. Every tolerated deviation is recorded in
// Report.Warnings. Members that tlsrpt itself writes (_source, _warnings,
// _ingested) are read back, so parsing a normalised line is lossless.
func Parse(data []byte, hints Hints) (*Report, error) {
	p := &parser{hints: hints}
	if bytes.HasPrefix(data, utf8BOM) {
		data = data[len(utf8BOM):]
		p.warn(WarnByteOrderMark, "", "UTF-8 byte order mark before the JSON text, ignored")
	}

	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%w: the JSON text is %s, not an object", ErrInvalid, typeErr.Value)
		}
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrInvalid, err)
	}
	if top == nil {
		return nil, fmt.Errorf("%w: the JSON text is null, not an object", ErrInvalid)
	}
	return p.report(top)
}

type parser struct {
	hints    Hints
	warnings []Warning
}

// warn records a deviation. A warning with the same code and path is
// recorded once, so parsing a normalised line adds nothing to the warnings
// it already carries.
func (p *parser) warn(code, path, format string, args ...any) {
	for _, w := range p.warnings {
		if w.Code == code && w.Path == path {
			return
		}
	}
	p.warnings = append(p.warnings, Warning{Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) report(top map[string]json.RawMessage) (*Report, error) {
	r := &Report{}

	// tlsrpt's own members come first, so earlier warnings precede new ones.
	if raw, ok := top[MemberSource]; ok && !isNull(raw) {
		r.Source = &Source{}
		if err := json.Unmarshal(raw, r.Source); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, MemberSource, err)
		}
	}
	if raw, ok := top[MemberWarnings]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &p.warnings); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, MemberWarnings, err)
		}
	}
	if raw, ok := top[MemberIngested]; ok && !isNull(raw) {
		t, err := p.datetime(raw, MemberIngested)
		if err != nil {
			return nil, err
		}
		r.Ingested = t
	}

	// RFC 8460 section 4.4: "report-id" identifies the report; without it
	// the report cannot be deduplicated or referred to.
	reportID, present := p.optionalString(top, "report-id", "report-id")
	if !present || strings.TrimSpace(reportID) == "" {
		return nil, fmt.Errorf("%w: report-id is missing", ErrInvalid)
	}
	r.ReportID = reportID

	r.OrganizationName = p.requiredString(top, "organization-name", "organization-name")
	r.ContactInfo = p.requiredString(top, "contact-info", "contact-info")

	if err := p.dateRange(top, r); err != nil {
		return nil, err
	}

	raws, err := p.array(top, "policies", "policies", true)
	if err != nil {
		return nil, err
	}
	for i, raw := range raws {
		pol, err := p.policy(raw, fmt.Sprintf("policies[%d]", i))
		if err != nil {
			return nil, err
		}
		r.Policies = append(r.Policies, pol)
	}

	r.Extra = extra(top, "organization-name", "date-range", "contact-info", "report-id", "policies",
		MemberSource, MemberWarnings, MemberIngested)
	r.Warnings = p.warnings
	return r, nil
}

// RFC 8460 section 4.4: "date-range" holds "start-datetime" and
// "end-datetime" in RFC 3339 date-time format.
func (p *parser) dateRange(top map[string]json.RawMessage, r *Report) error {
	obj, err := p.object(top["date-range"], "date-range")
	if err != nil {
		return err
	}
	if obj == nil {
		return fmt.Errorf("%w: date-range is missing", ErrInvalid)
	}
	for _, m := range []struct {
		name string
		dst  *time.Time
	}{{"start-datetime", &r.Start}, {"end-datetime", &r.End}} {
		raw, ok := obj[m.name]
		if !ok || isNull(raw) {
			return fmt.Errorf("%w: date-range.%s is missing", ErrInvalid, m.name)
		}
		t, err := p.datetime(raw, "date-range."+m.name)
		if err != nil {
			return err
		}
		*m.dst = t
	}
	if r.End.Before(r.Start) {
		return fmt.Errorf("%w: date-range ends (%s) before it starts (%s)", ErrInvalid, formatTime(r.End), formatTime(r.Start))
	}
	return nil
}

// datetime reads an RFC 3339 date-time. Microsoft sent datetimes without a
// time zone in 2023 (testdata/corpus/mox/microsoft.eml); they are read as
// UTC, which is what Microsoft meant.
func (p *parser) datetime(raw json.RawMessage, path string) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("%w: %s: want an RFC 3339 date-time string, got %s", ErrInvalid, path, raw)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			p.warn(WarnDatetimeNoZone, path, "date-time %q has no time zone, read as UTC", s)
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s: invalid RFC 3339 date-time %q", ErrInvalid, path, s)
}

func (p *parser) policy(raw json.RawMessage, path string) (Policy, error) {
	var pol Policy
	entry, err := p.object(raw, path)
	if err != nil {
		return pol, err
	}
	if entry == nil {
		return pol, fmt.Errorf("%w: %s is null", ErrInvalid, path)
	}

	desc, err := p.object(entry["policy"], path+".policy")
	if err != nil {
		return pol, err
	}
	if desc == nil {
		p.warn(WarnMissingMember, path+".policy", "policy is missing")
	}
	if err := p.policyDescriptor(desc, path+".policy", &pol); err != nil {
		return pol, err
	}

	summary, err := p.object(entry["summary"], path+".summary")
	if err != nil {
		return pol, err
	}
	if summary == nil {
		p.warn(WarnMissingMember, path+".summary", "summary is missing")
	}

	details, err := p.array(entry, "failure-details", path+".failure-details", false)
	if err != nil {
		return pol, err
	}
	for i, d := range details {
		fd, err := p.failureDetail(d, fmt.Sprintf("%s.failure-details[%d]", path, i))
		if err != nil {
			return pol, err
		}
		pol.FailureDetails = append(pol.FailureDetails, fd)
	}

	if err := p.summary(summary, path+".summary", &pol); err != nil {
		return pol, err
	}
	pol.Extra = extra(entry, "policy", "summary", "failure-details")
	return pol, nil
}

func (p *parser) policyDescriptor(desc map[string]json.RawMessage, path string, pol *Policy) error {
	typ := p.requiredString(desc, "policy-type", path+".policy-type")
	if lower := strings.ToLower(typ); lower != typ {
		p.warn(WarnPolicyTypeCase, path+".policy-type", "policy-type %q written in lower case", typ)
		typ = lower
	}
	if typ != "" && !policyTypes[typ] {
		p.warn(WarnUnknownPolicyType, path+".policy-type", "policy-type %q is not registered by RFC 8460, kept as sent", typ)
	}
	pol.Type = typ

	var err error
	if pol.Strings, err = p.stringArray(desc, "policy-string", path+".policy-string"); err != nil {
		return err
	}
	if pol.MXHosts, err = p.stringArray(desc, "mx-host", path+".mx-host"); err != nil {
		return err
	}
	for i, host := range pol.MXHosts {
		pol.MXHosts[i] = p.trimDot(host, fmt.Sprintf("%s.mx-host[%d]", path, i))
	}

	domain, _ := p.optionalString(desc, "policy-domain", path+".policy-domain")
	pol.Domain = p.trimDot(domain, path+".policy-domain")
	if pol.Domain == "" {
		pol.Domain = p.domainFromCarrier(path + ".policy-domain")
	}

	pol.PolicyExtra = extra(desc, "policy-type", "policy-string", "policy-domain", "mx-host")
	return nil
}

// domainFromCarrier fills a missing policy-domain, as a Postfix reporter
// sends for no-policy-found, from the TLS-Report-Domain header (RFC 8460
// section 5.3) or else from the attachment name (section 5.1:
// sender "!" policy-domain "!" begin "!" end ...).
func (p *parser) domainFromCarrier(path string) string {
	if d := strings.TrimSuffix(strings.TrimSpace(p.hints.ReportDomain), "."); d != "" {
		p.warn(WarnDomainFromHeader, path, "policy-domain is missing, taken from the TLS-Report-Domain header: %s", d)
		return d
	}
	if d := DomainFromFilename(p.hints.Filename); d != "" {
		p.warn(WarnDomainFromName, path, "policy-domain is missing, taken from the attachment name %q: %s", p.hints.Filename, d)
		return d
	}
	p.warn(WarnMissingMember, path, "policy-domain is missing and neither a TLS-Report-Domain header nor an attachment name gives it")
	return ""
}

// DomainFromFilename returns the policy domain from a report file name of
// the form RFC 8460 section 5.1 gives, or "" when the name has another form.
func DomainFromFilename(name string) string {
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	fields := strings.Split(name, "!")
	if len(fields) < 4 {
		return ""
	}
	return strings.TrimSuffix(fields[1], ".")
}

// summary reads the totals. RFC 8460 section 4.4 requires both counts; a
// missing failure count is taken as the sum of the failure details.
func (p *parser) summary(obj map[string]json.RawMessage, path string, pol *Policy) error {
	var err error
	if pol.Successful, err = p.count(obj, "total-successful-session-count", path, 0); err != nil {
		return err
	}
	sum := pol.FailureTotal()
	if pol.Failed, err = p.count(obj, "total-failure-session-count", path, sum); err != nil {
		return err
	}
	if len(pol.FailureDetails) > 0 && sum != pol.Failed {
		p.warn(WarnCountMismatch, path+".total-failure-session-count",
			"total-failure-session-count is %d but the failure details add up to %d, kept as sent", pol.Failed, sum)
	}
	pol.SummaryExtra = extra(obj, "total-successful-session-count", "total-failure-session-count")
	return nil
}

func (p *parser) failureDetail(raw json.RawMessage, path string) (FailureDetail, error) {
	var fd FailureDetail
	obj, err := p.object(raw, path)
	if err != nil {
		return fd, err
	}
	if obj == nil {
		return fd, fmt.Errorf("%w: %s is null", ErrInvalid, path)
	}

	fd.ResultType = p.requiredString(obj, "result-type", path+".result-type")
	if fd.ResultType != "" && !resultTypes[fd.ResultType] {
		p.warn(WarnUnknownResultType, path+".result-type", "result-type %q is not registered by RFC 8460, kept as sent", fd.ResultType)
	}
	fd.SendingMTAIP = p.ip(obj, "sending-mta-ip", path)
	fd.ReceivingIP = p.ip(obj, "receiving-ip", path)
	host, _ := p.optionalString(obj, "receiving-mx-hostname", path+".receiving-mx-hostname")
	fd.ReceivingMXHostname = p.trimDot(host, path+".receiving-mx-hostname")
	fd.ReceivingMXHelo, _ = p.optionalString(obj, "receiving-mx-helo", path+".receiving-mx-helo")
	fd.AdditionalInformation, _ = p.optionalString(obj, "additional-information", path+".additional-information")
	fd.FailureReasonCode, _ = p.optionalString(obj, "failure-reason-code", path+".failure-reason-code")
	if fd.FailedSessionCount, err = p.count(obj, "failed-session-count", path, 0); err != nil {
		return fd, err
	}
	fd.Extra = extra(obj, "result-type", "sending-mta-ip", "receiving-ip", "receiving-mx-hostname",
		"receiving-mx-helo", "additional-information", "failure-reason-code", "failed-session-count")
	return fd, nil
}

// ip reads an address member. An empty string, which some reporters send
// for an unknown address, means the member is absent. An address that does
// not parse is kept as sent.
func (p *parser) ip(obj map[string]json.RawMessage, name, path string) string {
	s, present := p.optionalString(obj, name, path+"."+name)
	if !present {
		return ""
	}
	if strings.TrimSpace(s) == "" {
		p.warn(WarnEmptyIP, path+"."+name, "%s is an empty string, read as absent", name)
		return ""
	}
	if _, err := netip.ParseAddr(s); err != nil {
		p.warn(WarnInvalidIP, path+"."+name, "%s %q is not an IP address, kept as sent", name, s)
	}
	return s
}

func (p *parser) trimDot(domain, path string) string {
	if len(domain) > 1 && strings.HasSuffix(domain, ".") {
		p.warn(WarnTrailingDot, path, "domain %q written without its trailing dot", domain)
		return strings.TrimSuffix(domain, ".")
	}
	return domain
}

// count reads a session count. Counts written as strings ("42") are
// accepted; a missing count takes the value def.
func (p *parser) count(obj map[string]json.RawMessage, name, path string, def int64) (int64, error) {
	path += "." + name
	raw, ok := obj[name]
	if !ok || isNull(raw) {
		if obj != nil {
			p.warn(WarnMissingMember, path, "%s is missing, taken as %d", name, def)
		}
		return def, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
		}
		p.warn(WarnCountAsString, path, "%s written as the string %q", name, text)
		text = strings.TrimSpace(text)
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && f >= 0 && f == float64(int64(f)) {
		return int64(f), nil
	}
	return 0, fmt.Errorf("%w: %s: want a non-negative integer, got %s", ErrInvalid, path, raw)
}

// requiredString reads a member that RFC 8460 requires; when it is missing
// or null the report is still used, with a warning.
func (p *parser) requiredString(obj map[string]json.RawMessage, name, path string) string {
	s, present := p.optionalString(obj, name, path)
	if !present && obj != nil {
		if raw, ok := obj[name]; ok && isNull(raw) {
			p.warn(WarnNullMember, path, "%s is null", name)
		} else {
			p.warn(WarnMissingMember, path, "%s is missing", name)
		}
	}
	return s
}

// optionalString reads a string member and reports whether it was present
// and not null. A number or other JSON value is kept as its JSON text.
func (p *parser) optionalString(obj map[string]json.RawMessage, name, path string) (string, bool) {
	raw, ok := obj[name]
	if !ok || isNull(raw) {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.warn(WarnWrongType, path, "%s should be a string, got %s; kept as its JSON text", name, raw)
		return string(compact(raw)), true
	}
	return s, true
}

// stringArray reads a member that RFC 8460 defines as an array of strings.
// A bare string is taken as an array of one: RFC 8460's own example in
// Appendix B writes "mx-host" that way (erratum 6241).
func (p *parser) stringArray(obj map[string]json.RawMessage, name, path string) ([]string, error) {
	raw, ok := obj[name]
	if !ok || isNull(raw) {
		return []string{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
		}
		p.warn(WarnStringNotArray, path, "%s is a string, read as an array of one", name)
		return []string{s}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: %s: want an array of strings, got %s", ErrInvalid, path, abbreviate(raw))
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		var s string
		if err := json.Unmarshal(item, &s); err != nil {
			p.warn(WarnWrongType, fmt.Sprintf("%s[%d]", path, i), "%s entry should be a string, got %s; kept as its JSON text", name, item)
			s = string(compact(item))
		}
		out = append(out, s)
	}
	return out, nil
}

// array reads a member that must be an array of objects. A missing or null
// member reads as an empty array; required adds a warning for that case.
func (p *parser) array(obj map[string]json.RawMessage, name, path string, required bool) ([]json.RawMessage, error) {
	raw, ok := obj[name]
	if !ok || isNull(raw) {
		if required {
			p.warn(WarnMissingMember, path, "%s is missing, read as an empty array", name)
		}
		return nil, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: %s: want an array, got %s", ErrInvalid, path, abbreviate(raw))
	}
	return list, nil
}

// object decodes an object member; a missing or null member returns nil.
func (p *parser) object(raw json.RawMessage, path string) (map[string]json.RawMessage, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("%w: %s: want an object, got %s", ErrInvalid, path, abbreviate(raw))
	}
	return obj, nil
}

// extra collects the members not named in known, sorted by name so that
// the output does not depend on map order.
func extra(obj map[string]json.RawMessage, known ...string) Members {
	var out Members
	for name, raw := range obj {
		isKnown := false
		for _, k := range known {
			if name == k {
				isKnown = true
				break
			}
		}
		if !isKnown {
			out = append(out, Member{Name: name, Value: compact(raw)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func isNull(raw json.RawMessage) bool {
	return string(raw) == "null"
}

func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

func abbreviate(raw json.RawMessage) string {
	const max = 40
	s := string(compact(raw))
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
