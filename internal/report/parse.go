package report

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
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

// Warning codes, one per kind of tolerated deviation. docs/report-format.md
// lists the senders seen doing each.
const (
	WarnByteOrderMark     = "byte-order-mark"
	WarnMissingMember     = "missing-member"
	WarnNullMember        = "null-member"
	WarnWrongType         = "wrong-type"
	WarnDatetimeNoZone    = "datetime-without-zone"
	WarnDateRangeReversed = "date-range-reversed"
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

// The members each object defines; every other member is kept in Extra.
var (
	reportMembers        = []string{"organization-name", "date-range", "contact-info", "report-id", "policies", MemberSource, MemberWarnings, MemberIngested}
	dateRangeMembers     = []string{"start-datetime", "end-datetime"}
	policyEntryMembers   = []string{"policy", "summary", "failure-details"}
	policyMembers        = []string{"policy-type", "policy-string", "policy-domain", "mx-host"}
	summaryMembers       = []string{"total-successful-session-count", "total-failure-session-count"}
	failureDetailMembers = []string{"result-type", "sending-mta-ip", "receiving-ip", "receiving-mx-hostname",
		"receiving-mx-helo", "additional-information", "failure-reason-code", "failed-session-count"}
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// documentPool recycles node slices, because no node outlives Parse.
var documentPool = sync.Pool{New: func() any { return new(document) }}

// maxPooledNodes is the largest node slice kept in documentPool, about
// 1.5 MB: enough for a report with thousands of failure details.
const maxPooledNodes = 1 << 16

// Parse decodes one report and normalises it: datetimes in UTC, counts as
// integers, policy-string, mx-host and failure-details as arrays and
// policy-type in lower case. Every tolerated deviation is recorded in
// Report.Warnings. Members that tlsrpt itself writes (_source, _warnings,
// _ingested) are read back, so parsing a normalised line is lossless.
func Parse(data []byte, hints Hints) (*Report, error) {
	p := &parser{hints: hints}
	if bytes.HasPrefix(data, utf8BOM) {
		data = data[len(utf8BOM):]
		p.warn(WarnByteOrderMark, location{}, "", "UTF-8 byte order mark before the JSON text, ignored")
	}

	// One copy of the input; the strings of the report share it.
	src := string(data)
	doc := documentPool.Get().(*document)
	defer func() {
		doc.nodes = doc.nodes[:0]
		if cap(doc.nodes) > maxPooledNodes {
			doc.nodes = nil // a rare large report should not pin its nodes
		}
		documentPool.Put(doc)
	}()
	if err := parseDocument(src, doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p.doc = doc
	if k := doc.nodes[0].kind; k != kindObject {
		return nil, fmt.Errorf("%w: the JSON text is %s, not an object", ErrInvalid, k)
	}
	return p.report(0)
}

type parser struct {
	hints    Hints
	doc      *document
	warnings []Warning

	seen    map[warningKey]bool
	codes   []string       // warning codes in the order first recorded
	perCode map[string]int // warnings recorded per code
	omitted map[string]int // warnings per code left out over maxWarningsPerCode
}

type warningKey struct{ code, path string }

// maxWarningsPerCode bounds the warnings of one code in a report. A report
// that bends one rule in each of its 40,000 failure details would
// otherwise carry 40,000 warnings; a last warning counts those left out.
const maxWarningsPerCode = 100

// location is the position of a member in the report. It holds indexes,
// so the path string is built only when a warning or error needs it.
type location struct {
	policy int    // index in "policies" plus one; 0 outside a policy
	detail int    // index in "failure-details" plus one; 0 outside one
	object string // "date-range", "policy" or "summary"; "" for the enclosing entry
}

// path returns the member's path, such as
// policies[0].failure-details[1].result-type.
func (l location) path(member string) string {
	var parts []string
	if l.policy > 0 {
		parts = append(parts, fmt.Sprintf("policies[%d]", l.policy-1))
	}
	if l.detail > 0 {
		parts = append(parts, fmt.Sprintf("failure-details[%d]", l.detail-1))
	}
	if l.object != "" {
		parts = append(parts, l.object)
	}
	if member != "" {
		parts = append(parts, member)
	}
	return strings.Join(parts, ".")
}

// warn records a deviation. A warning with the same code and path is
// recorded once, so parsing a normalised line adds nothing to the warnings
// it already carries.
func (p *parser) warn(code string, at location, member, format string, args ...any) {
	path := at.path(member)
	if p.seen[warningKey{code, path}] {
		return
	}
	if p.perCode[code] >= maxWarningsPerCode {
		if p.omitted == nil {
			p.omitted = make(map[string]int)
		}
		p.omitted[code]++
		return
	}
	p.record(Warning{Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

// record adds w unless a warning with its code and path is there already.
func (p *parser) record(w Warning) {
	key := warningKey{w.Code, w.Path}
	if p.seen[key] {
		return
	}
	if p.seen == nil {
		p.seen = make(map[warningKey]bool)
		p.perCode = make(map[string]int)
	}
	p.seen[key] = true
	if p.perCode[w.Code] == 0 {
		p.codes = append(p.codes, w.Code)
	}
	p.perCode[w.Code]++
	p.warnings = append(p.warnings, w)
}

// recordOmitted adds, for each code with warnings left out, one warning
// without a path that counts them. Parsing the normalised line again
// leaves out as many, so the line comes out the same.
func (p *parser) recordOmitted() {
	for _, code := range p.codes {
		if n := p.omitted[code]; n > 0 {
			p.record(Warning{Code: code, Message: fmt.Sprintf("%d more %s warnings left out", n, code)})
		}
	}
}

func invalid(at location, member, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, at.path(member), fmt.Sprintf(format, args...))
}

func (p *parser) report(top int) (*Report, error) {
	r := &Report{}
	var at location

	// tlsrpt's own members come first, so earlier warnings precede new ones.
	if err := p.ownMembers(top, r); err != nil {
		return nil, err
	}

	// RFC 8460 section 4.4: "report-id" identifies the report; without it
	// the report cannot be deduplicated or referred to.
	reportID, present := p.optionalString(top, at, "report-id")
	if !present || strings.TrimSpace(reportID) == "" {
		return nil, fmt.Errorf("%w: report-id is missing", ErrInvalid)
	}
	r.ReportID = reportID

	r.OrganizationName = p.requiredString(top, at, "organization-name")
	r.ContactInfo = p.requiredString(top, at, "contact-info")

	if err := p.dateRange(top, r); err != nil {
		return nil, err
	}

	policies, err := p.array(top, at, "policies", true)
	if err != nil {
		return nil, err
	}
	if policies >= 0 {
		// Each policy is filled in place, because copying a Policy
		// value costs a write barrier per pointer while the GC runs.
		r.Policies = make([]Policy, p.doc.count(policies))
		for i, c := 0, policies+1; c < p.next(policies); i, c = i+1, p.next(c) {
			if err := p.policy(c, location{policy: i + 1}, &r.Policies[i]); err != nil {
				return nil, err
			}
		}
	}

	r.Extra = p.extra(top, reportMembers)
	p.recordOmitted()
	r.Warnings = p.warnings
	return r, nil
}

// next returns the index of the node after the value at index i.
func (p *parser) next(i int) int {
	return int(p.doc.nodes[i].next)
}

// RFC 8460 section 4.4: "date-range" holds "start-datetime" and
// "end-datetime" in RFC 3339 date-time format.
func (p *parser) dateRange(top int, r *Report) error {
	obj, err := p.object(top, location{}, "date-range")
	if err != nil {
		return err
	}
	if obj < 0 {
		return fmt.Errorf("%w: date-range is missing", ErrInvalid)
	}
	at := location{object: "date-range"}
	for _, m := range []struct {
		name string
		dst  *time.Time
	}{{"start-datetime", &r.Start}, {"end-datetime", &r.End}} {
		i := p.doc.member(obj, m.name)
		if i < 0 || p.doc.nodes[i].kind == kindNull {
			return invalid(at, m.name, "missing")
		}
		t, err := p.datetime(i, at, m.name)
		if err != nil {
			return err
		}
		*m.dst = t
	}
	if r.End.Before(r.Start) {
		p.warn(WarnDateRangeReversed, location{}, "date-range", "date-range ends (%s) before it starts (%s), kept as sent",
			formatTime(r.End), formatTime(r.Start))
	}
	r.DateRangeExtra = p.extra(obj, dateRangeMembers)
	return nil
}

// datetime reads an RFC 3339 date-time. Microsoft sent datetimes without a
// time zone in 2023 (testdata/corpus/mox/microsoft.eml); they are read as
// UTC, which is what Microsoft meant.
func (p *parser) datetime(i int, at location, member string) (time.Time, error) {
	if p.doc.nodes[i].kind != kindString {
		return time.Time{}, invalid(at, member, "want an RFC 3339 date-time string, got %s", p.abbreviate(i))
	}
	text := p.doc.text(i)
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		t, err = p.datetimeWithoutZone(text, at, member)
		if err != nil {
			return time.Time{}, err
		}
	}
	t = t.UTC()
	// The line format writes four-digit years, as RFC 3339 requires; an
	// offset can move a date outside them.
	if t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, invalid(at, member, "date-time %q is outside the years 0000 to 9999 in UTC", text)
	}
	return t, nil
}

func (p *parser) datetimeWithoutZone(s string, at location, member string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			p.warn(WarnDatetimeNoZone, at, member, "date-time %q has no time zone, read as UTC", s)
			return t, nil
		}
	}
	return time.Time{}, invalid(at, member, "invalid RFC 3339 date-time %q", s)
}

func (p *parser) policy(entry int, at location, pol *Policy) error {
	if k := p.doc.nodes[entry].kind; k != kindObject {
		return invalid(at, "", "want an object, got %s", k)
	}

	desc, err := p.object(entry, at, "policy")
	if err != nil {
		return err
	}
	if desc < 0 {
		p.warn(WarnMissingMember, at, "policy", "policy is missing")
	}
	if err := p.policyDescriptor(desc, location{policy: at.policy, object: "policy"}, pol); err != nil {
		return err
	}

	summary, err := p.object(entry, at, "summary")
	if err != nil {
		return err
	}
	if summary < 0 {
		p.warn(WarnMissingMember, at, "summary", "summary is missing")
	}

	details, err := p.array(entry, at, "failure-details", false)
	if err != nil {
		return err
	}
	if details >= 0 {
		pol.FailureDetails = make([]FailureDetail, p.doc.count(details))
		for i, c := 0, details+1; c < p.next(details); i, c = i+1, p.next(c) {
			at := location{policy: at.policy, detail: i + 1}
			if err := p.failureDetail(c, at, &pol.FailureDetails[i]); err != nil {
				return err
			}
		}
	}

	if err := p.summary(summary, location{policy: at.policy, object: "summary"}, pol); err != nil {
		return err
	}
	pol.Extra = p.extra(entry, policyEntryMembers)
	return nil
}

// policyDescriptor reads the "policy" object at index desc, which is -1
// when the sender left it out.
func (p *parser) policyDescriptor(desc int, at location, pol *Policy) error {
	typ := p.requiredString(desc, at, "policy-type")
	if lower := strings.ToLower(typ); lower != typ {
		p.warn(WarnPolicyTypeCase, at, "policy-type", "policy-type %q written in lower case", typ)
		typ = lower
	}
	if typ != "" && !policyTypes[typ] {
		p.warn(WarnUnknownPolicyType, at, "policy-type", "policy-type %q is not registered by RFC 8460, kept as sent", typ)
	}
	pol.Type = typ

	var err error
	if pol.Strings, err = p.stringArray(desc, at, "policy-string"); err != nil {
		return err
	}
	if pol.MXHosts, err = p.stringArray(desc, at, "mx-host"); err != nil {
		return err
	}
	for i, host := range pol.MXHosts {
		if trimmed := trimDots(host); trimmed != host {
			p.warn(WarnTrailingDot, at, fmt.Sprintf("mx-host[%d]", i), "domain %q written without its trailing dot", host)
			pol.MXHosts[i] = trimmed
		}
	}

	domain, _ := p.optionalString(desc, at, "policy-domain")
	pol.Domain = p.trimDot(domain, at, "policy-domain")
	if pol.Domain == "" {
		pol.Domain = p.domainFromCarrier(at)
	}

	pol.PolicyExtra = p.extra(desc, policyMembers)
	return nil
}

// domainFromCarrier fills a missing policy-domain, as a Postfix reporter
// sends for no-policy-found, from the TLS-Report-Domain header (RFC 8460
// section 5.3) or else from the attachment name (section 5.1:
// sender "!" policy-domain "!" begin "!" end ...).
func (p *parser) domainFromCarrier(at location) string {
	if d := trimDots(strings.TrimSpace(p.hints.ReportDomain)); d != "" {
		p.warn(WarnDomainFromHeader, at, "policy-domain", "policy-domain is missing, taken from the TLS-Report-Domain header: %s", d)
		return d
	}
	if d := DomainFromFilename(p.hints.Filename); d != "" {
		p.warn(WarnDomainFromName, at, "policy-domain", "policy-domain is missing, taken from the attachment name %q: %s", p.hints.Filename, d)
		return d
	}
	p.warn(WarnMissingMember, at, "policy-domain", "policy-domain is missing and neither a TLS-Report-Domain header nor an attachment name gives it")
	return ""
}

// DomainFromFilename returns the policy domain from a report file name of
// the form RFC 8460 section 5.1 gives, or "" when the name has another form.
// That form is sender "!" policy-domain "!" begin-timestamp "!"
// end-timestamp ["!" unique-id] "." extension, with Unix timestamps.
func DomainFromFilename(name string) string {
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	fields := strings.Split(name, "!")
	if len(fields) < 4 || len(fields) > 5 {
		return ""
	}
	if !startsWithDigit(fields[2]) || !startsWithDigit(fields[3]) {
		return ""
	}
	return trimDots(fields[1])
}

func startsWithDigit(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// summary reads the totals from the "summary" object at index obj, which is
// -1 when the sender left it out. RFC 8460 section 4.4 requires both
// counts; a missing failure count is taken as the sum of the failure details.
func (p *parser) summary(obj int, at location, pol *Policy) error {
	var err error
	if pol.Successful, err = p.count(obj, at, "total-successful-session-count", 0); err != nil {
		return err
	}
	sum := pol.FailureTotal()
	if pol.Failed, err = p.count(obj, at, "total-failure-session-count", sum); err != nil {
		return err
	}
	if len(pol.FailureDetails) > 0 && sum != pol.Failed {
		p.warn(WarnCountMismatch, at, "total-failure-session-count",
			"total-failure-session-count is %d but the failure details add up to %d, kept as sent", pol.Failed, sum)
	}
	pol.SummaryExtra = p.extra(obj, summaryMembers)
	return nil
}

func (p *parser) failureDetail(obj int, at location, fd *FailureDetail) error {
	if k := p.doc.nodes[obj].kind; k != kindObject {
		return invalid(at, "", "want an object, got %s", k)
	}

	fd.ResultType = p.requiredString(obj, at, "result-type")
	if fd.ResultType != "" && !resultTypes[fd.ResultType] {
		p.warn(WarnUnknownResultType, at, "result-type", "result-type %q is not registered by RFC 8460, kept as sent", fd.ResultType)
	}
	fd.SendingMTAIP = p.ip(obj, at, "sending-mta-ip")
	fd.ReceivingIP = p.ip(obj, at, "receiving-ip")
	host, _ := p.optionalString(obj, at, "receiving-mx-hostname")
	fd.ReceivingMXHostname = p.trimDot(host, at, "receiving-mx-hostname")
	fd.ReceivingMXHelo, _ = p.optionalString(obj, at, "receiving-mx-helo")
	fd.AdditionalInformation, _ = p.optionalString(obj, at, "additional-information")
	fd.FailureReasonCode, _ = p.optionalString(obj, at, "failure-reason-code")

	var err error
	if fd.FailedSessionCount, err = p.count(obj, at, "failed-session-count", 0); err != nil {
		return err
	}
	fd.Extra = p.extra(obj, failureDetailMembers)
	return nil
}

// ip reads an address member. An empty string, which some reporters send
// for an unknown address, means the member is absent. An address that does
// not parse is kept as sent.
func (p *parser) ip(obj int, at location, name string) string {
	s, present := p.optionalString(obj, at, name)
	if !present {
		return ""
	}
	if strings.TrimSpace(s) == "" {
		p.warn(WarnEmptyIP, at, name, "%s is an empty string, read as absent", name)
		return ""
	}
	if _, err := netip.ParseAddr(s); err != nil {
		p.warn(WarnInvalidIP, at, name, "%s %q is not an IP address, kept as sent", name, s)
	}
	return s
}

func (p *parser) trimDot(domain string, at location, member string) string {
	trimmed := trimDots(domain)
	if trimmed != domain {
		p.warn(WarnTrailingDot, at, member, "domain %q written without its trailing dot", domain)
	}
	return trimmed
}

// trimDots removes the trailing dots of a domain name but keeps the root
// domain ".".
func trimDots(domain string) string {
	for len(domain) > 1 && domain[len(domain)-1] == '.' {
		domain = domain[:len(domain)-1]
	}
	return domain
}

// count reads a session count from the object at index obj (-1 when the
// object is missing). Counts written as strings ("42") are accepted; a
// missing count takes the value def.
func (p *parser) count(obj int, at location, name string, def int64) (int64, error) {
	i := p.doc.member(obj, name)
	if i < 0 || p.doc.nodes[i].kind == kindNull {
		if obj >= 0 {
			p.warn(WarnMissingMember, at, name, "%s is missing, taken as %d", name, def)
		}
		return def, nil
	}

	text := p.doc.text(i)
	switch p.doc.nodes[i].kind {
	case kindNumber:
		if v, err := strconv.ParseInt(text, 10, 64); err == nil && v >= 0 {
			return v, nil
		}
		// 42.0 and 4.2e1 are whole numbers too, in a form RFC 8460 does
		// not use for counts.
		f, err := strconv.ParseFloat(text, 64)
		if err == nil && f >= 0 && f < 1<<63 && f == float64(int64(f)) {
			p.warn(WarnWrongType, at, name, "%s written as %s, read as %d", name, text, int64(f))
			return int64(f), nil
		}
	case kindString:
		digits := strings.TrimSpace(text)
		if v, err := strconv.ParseUint(digits, 10, 63); err == nil && isDigits(digits) {
			p.warn(WarnCountAsString, at, name, "%s written as the string %q", name, text)
			return int64(v), nil
		}
	}
	return 0, invalid(at, name, "want a non-negative integer, got %s", p.abbreviate(i))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// requiredString reads a member that RFC 8460 requires; when it is missing
// or null the report is still used, with a warning.
func (p *parser) requiredString(obj int, at location, name string) string {
	s, present := p.optionalString(obj, at, name)
	if !present && obj >= 0 {
		if i := p.doc.member(obj, name); i >= 0 {
			p.warn(WarnNullMember, at, name, "%s is null", name)
		} else {
			p.warn(WarnMissingMember, at, name, "%s is missing", name)
		}
	}
	return s
}

// optionalString reads a string member and reports whether it was present
// and not null. A number or other JSON value is kept as its JSON text.
func (p *parser) optionalString(obj int, at location, name string) (string, bool) {
	i := p.doc.member(obj, name)
	if i < 0 {
		return "", false
	}
	switch p.doc.nodes[i].kind {
	case kindNull:
		return "", false
	case kindString:
		return p.doc.text(i), true
	}
	text := string(p.doc.appendValue(nil, i))
	p.warn(WarnWrongType, at, name, "%s should be a string, got %s; kept as its JSON text", name, text)
	return text, true
}

// stringArray reads a member that RFC 8460 defines as an array of strings.
// A bare string is taken as an array of one: RFC 8460's own example in
// Appendix B writes "mx-host" that way (erratum 6241).
func (p *parser) stringArray(obj int, at location, name string) ([]string, error) {
	i := p.doc.member(obj, name)
	if i < 0 {
		return []string{}, nil
	}
	switch p.doc.nodes[i].kind {
	case kindNull:
		return []string{}, nil
	case kindString:
		p.warn(WarnStringNotArray, at, name, "%s is a string, read as an array of one", name)
		return []string{p.doc.text(i)}, nil
	case kindArray:
	default:
		return nil, invalid(at, name, "want an array of strings, got %s", p.abbreviate(i))
	}

	out := make([]string, 0, p.doc.count(i))
	for k, c := 0, i+1; c < p.next(i); k, c = k+1, p.next(c) {
		if p.doc.nodes[c].kind == kindString {
			out = append(out, p.doc.text(c))
			continue
		}
		text := string(p.doc.appendValue(nil, c))
		p.warn(WarnWrongType, at, fmt.Sprintf("%s[%d]", name, k), "%s entry should be a string, got %s; kept as its JSON text", name, text)
		out = append(out, text)
	}
	return out, nil
}

// array returns the index of an array member, or -1 when it is missing or
// null; required adds a warning for that case.
func (p *parser) array(obj int, at location, name string, required bool) (int, error) {
	i := p.doc.member(obj, name)
	if i < 0 || p.doc.nodes[i].kind == kindNull {
		if required {
			p.warn(WarnMissingMember, at, name, "%s is missing, read as an empty array", name)
		}
		return -1, nil
	}
	if p.doc.nodes[i].kind != kindArray {
		return -1, invalid(at, name, "want an array, got %s", p.abbreviate(i))
	}
	return i, nil
}

// object returns the index of an object member, or -1 when it is missing or
// null.
func (p *parser) object(obj int, at location, name string) (int, error) {
	i := p.doc.member(obj, name)
	if i < 0 || p.doc.nodes[i].kind == kindNull {
		return -1, nil
	}
	if p.doc.nodes[i].kind != kindObject {
		return -1, invalid(at, name, "want an object, got %s", p.abbreviate(i))
	}
	return i, nil
}

// extra collects the members of the object at index obj that are not in
// known, in the order they were sent. When a name repeats, the last one is
// kept, as for the members tlsrpt reads.
func (p *parser) extra(obj int, known []string) Members {
	if obj < 0 {
		return nil
	}
	last := p.lastIndexes(obj)
	var out Members
	for c := obj + 1; c < p.next(obj); c = p.next(c) {
		name := p.doc.name(c)
		if contains(known, name) || p.repeatedLater(obj, c, last) {
			continue
		}
		out = append(out, Member{Name: name, Value: p.doc.appendValue(nil, c)})
	}
	return out
}

// lastIndexes maps each member name of a large object to the index of its
// last occurrence, so that finding repeated names stays linear. It returns
// nil for small objects, which are searched directly.
func (p *parser) lastIndexes(obj int) map[string]int {
	if p.doc.count(obj) <= 16 {
		return nil
	}
	last := make(map[string]int)
	for c := obj + 1; c < p.next(obj); c = p.next(c) {
		last[p.doc.name(c)] = c
	}
	return last
}

// repeatedLater reports whether a member after index c of the object at
// index obj has the same name.
func (p *parser) repeatedLater(obj, c int, last map[string]int) bool {
	name := p.doc.name(c)
	if last != nil {
		return last[name] != c
	}
	for later := p.next(c); later < p.next(obj); later = p.next(later) {
		if p.doc.name(later) == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

// abbreviate returns the value at index i as compact JSON, cut to a length
// that fits in an error message.
func (p *parser) abbreviate(i int) string {
	const max = 40
	s := string(p.doc.appendValue(nil, i))
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
