// Package report holds the RFC 8460 report model, the normalisation that
// turns what real senders write into a strict report, and the NDJSON
// encoding that every tlsrpt command reads and writes.
package report

import (
	"encoding/json"
	"time"
)

// Member names that carry tlsrpt's own data on a report line. RFC 8460
// names its members with lower-case words joined by hyphens, so a leading
// underscore keeps these apart from every member the RFC defines.
const (
	MemberSource   = "_source"
	MemberWarnings = "_warnings"
	MemberIngested = "_ingested"
)

// Report is one normalised RFC 8460 report (RFC 8460 section 4.3).
type Report struct {
	OrganizationName string
	Start, End       time.Time
	DateRangeExtra   Members // unknown members of the "date-range" object
	ContactInfo      string
	ReportID         string
	Policies         []Policy
	Extra            Members // members RFC 8460 does not define, kept as sent

	Source   *Source   // provenance of the report; nil when unknown
	Warnings []Warning // deviations from RFC 8460 that were tolerated
	Ingested time.Time // when tlsrpt-ingest stored the report; zero before
}

// Policy is one entry of the "policies" array (RFC 8460 section 4.4).
type Policy struct {
	Type           string   // "policy-type", lower case
	Strings        []string // "policy-string"
	Domain         string   // "policy-domain"
	MXHosts        []string // "mx-host"
	PolicyExtra    Members  // unknown members of the "policy" object
	Successful     int64    // "total-successful-session-count"
	Failed         int64    // "total-failure-session-count"
	SummaryExtra   Members  // unknown members of the "summary" object
	FailureDetails []FailureDetail
	Extra          Members // unknown members of the policy entry
}

// FailureDetail is one entry of "failure-details" (RFC 8460 section 4.4).
// Empty strings stand for absent members.
type FailureDetail struct {
	ResultType            string
	SendingMTAIP          string
	ReceivingMXHostname   string
	ReceivingMXHelo       string
	ReceivingIP           string
	FailedSessionCount    int64
	AdditionalInformation string
	FailureReasonCode     string
	Extra                 Members
}

// Source records where a report was found. Fields that do not apply are
// empty and left out of the JSON encoding.
type Source struct {
	Input        string `json:"input,omitempty"`         // file name, "-" for standard input
	Message      int    `json:"message,omitempty"`       // 1-based message number within the input
	MessageID    string `json:"message-id,omitempty"`    // Message-ID header of that message
	Part         string `json:"mime-part,omitempty"`     // MIME part path such as "2" or "2.1"
	Filename     string `json:"filename,omitempty"`      // attachment or archive member name
	ReportDomain string `json:"report-domain,omitempty"` // TLS-Report-Domain header
	SHA256       string `json:"sha256,omitempty"`        // hex SHA-256 of the decompressed report
}

// Warning is one tolerated deviation from RFC 8460.
type Warning struct {
	Code    string `json:"code"`
	Path    string `json:"path,omitempty"` // JSON path of the member concerned
	Message string `json:"message"`
}

// Member is one JSON object member kept verbatim.
type Member struct {
	Name  string
	Value json.RawMessage // compact JSON
}

// Members keeps unknown object members in the order they were sent.
type Members []Member

// Key identifies a report for deduplication: the same report-id with a
// different date range is a different report, because Google and Mimecast
// reuse report-ids across days.
func (r *Report) Key() string {
	return r.OrganizationName + "\x00" + r.ReportID + "\x00" +
		formatTime(r.Start) + "\x00" + formatTime(r.End)
}

// FailureTotal returns the sum of failed-session-count over the policy's
// failure details.
func (p *Policy) FailureTotal() int64 {
	var total int64
	for _, d := range p.FailureDetails {
		total += d.FailedSessionCount
	}
	return total
}

// formatTime writes t in RFC 3339 UTC with a "Z" and fractional seconds
// only where the sender gave them.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
