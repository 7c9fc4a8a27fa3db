package summary

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/report"
)

// entry is the part of a report that the summary uses.
type entry struct {
	organization string
	start, end   time.Time
	policies     []policyEntry
}

type policyEntry struct {
	policyType string
	domain     string
	mode       string // MTA-STS mode from the policy-string, "" when absent or not sts
	successful int64
	failed     int64
	details    []detailEntry
}

type detailEntry struct {
	key   DetailKey
	count int64
}

// decodeLine decodes one report line. Lines that report.Report.AppendJSON
// wrote take a fast path through a typed decoder. Any other line, such as
// a raw RFC 8460 report with mx-host as a string, goes through
// report.Parse, which normalises it. Both paths give the same entry for a
// normalised line.
func decodeLine(line []byte) (entry, error) {
	if e, ok := decodeNormalised(line); ok {
		return e, nil
	}
	r, err := report.Parse(line, report.Hints{})
	if err != nil {
		return entry{}, err
	}
	return entryFromReport(r), nil
}

// normalisedReport mirrors the members of a normalised line that the
// summary reads. Counts are pointers so that a missing count sends the
// line to report.Parse, which applies RFC 8460's defaults and warnings.
type normalisedReport struct {
	OrganizationName string `json:"organization-name"`
	DateRange        *struct {
		Start string `json:"start-datetime"`
		End   string `json:"end-datetime"`
	} `json:"date-range"`
	ReportID string             `json:"report-id"`
	Policies []normalisedPolicy `json:"policies"`
}

type normalisedPolicy struct {
	Policy struct {
		Type    string          `json:"policy-type"`
		Strings json.RawMessage `json:"policy-string"`
		Domain  string          `json:"policy-domain"`
	} `json:"policy"`
	Summary struct {
		Successful *int64 `json:"total-successful-session-count"`
		Failed     *int64 `json:"total-failure-session-count"`
	} `json:"summary"`
	FailureDetails []struct {
		ResultType            string `json:"result-type"`
		SendingMTAIP          string `json:"sending-mta-ip"`
		ReceivingMXHostname   string `json:"receiving-mx-hostname"`
		ReceivingIP           string `json:"receiving-ip"`
		FailedSessionCount    *int64 `json:"failed-session-count"`
		AdditionalInformation string `json:"additional-information"`
		FailureReasonCode     string `json:"failure-reason-code"`
	} `json:"failure-details"`
}

// decodeNormalised decodes a line in the form AppendJSON writes. It
// returns false for anything report.Parse would read differently: a type
// mismatch, a missing member, a datetime without a zone, an upper-case
// policy-type or a domain with a trailing dot.
//
// NOTE: encoding/json matches member names without regard to case, so a
// member spelt "Policy-Type" is read here, where report.Parse would
// report it missing. No known sender writes such names.
func decodeNormalised(line []byte) (entry, bool) {
	var n normalisedReport
	if err := json.Unmarshal(line, &n); err != nil {
		return entry{}, false
	}
	if strings.TrimSpace(n.ReportID) == "" || n.DateRange == nil {
		return entry{}, false
	}
	start, err := time.Parse(time.RFC3339Nano, n.DateRange.Start)
	if err != nil {
		return entry{}, false
	}
	end, err := time.Parse(time.RFC3339Nano, n.DateRange.End)
	if err != nil {
		return entry{}, false
	}

	e := entry{
		organization: n.OrganizationName,
		start:        start.UTC(),
		end:          end.UTC(),
		policies:     make([]policyEntry, 0, len(n.Policies)),
	}
	for i := range n.Policies {
		p, ok := n.Policies[i].entry()
		if !ok {
			return entry{}, false
		}
		e.policies = append(e.policies, p)
	}
	return e, true
}

func (n *normalisedPolicy) entry() (policyEntry, bool) {
	s := n.Summary
	if s.Successful == nil || s.Failed == nil || *s.Successful < 0 || *s.Failed < 0 {
		return policyEntry{}, false
	}
	policyType := n.Policy.Type
	if strings.ToLower(policyType) != policyType || hasTrailingDot(n.Policy.Domain) {
		return policyEntry{}, false
	}

	p := policyEntry{
		policyType: policyType,
		domain:     n.Policy.Domain,
		successful: *s.Successful,
		failed:     *s.Failed,
	}
	if policyType == "sts" && len(n.Policy.Strings) > 0 {
		var lines []string
		if err := json.Unmarshal(n.Policy.Strings, &lines); err != nil {
			return policyEntry{}, false
		}
		p.mode = stsMode(lines)
	}

	p.details = make([]detailEntry, 0, len(n.FailureDetails))
	for _, d := range n.FailureDetails {
		if d.FailedSessionCount == nil || *d.FailedSessionCount < 0 || hasTrailingDot(d.ReceivingMXHostname) {
			return policyEntry{}, false
		}
		p.details = append(p.details, detailEntry{
			key: DetailKey{
				ResultType:            d.ResultType,
				ReceivingMXHostname:   d.ReceivingMXHostname,
				ReceivingIP:           absentIfBlank(d.ReceivingIP),
				SendingMTAIP:          absentIfBlank(d.SendingMTAIP),
				FailureReasonCode:     d.FailureReasonCode,
				AdditionalInformation: d.AdditionalInformation,
			},
			count: *d.FailedSessionCount,
		})
	}
	return p, true
}

// absentIfBlank reads an address the way report.Parse does: a blank
// string, which some reporters send for an unknown address, is absent.
func absentIfBlank(ip string) string {
	if strings.TrimSpace(ip) == "" {
		return ""
	}
	return ip
}

func hasTrailingDot(domain string) bool {
	return len(domain) > 1 && strings.HasSuffix(domain, ".")
}

// entryFromReport takes what the summary needs from a parsed report.
func entryFromReport(r *report.Report) entry {
	e := entry{
		organization: r.OrganizationName,
		start:        r.Start.UTC(),
		end:          r.End.UTC(),
		policies:     make([]policyEntry, 0, len(r.Policies)),
	}
	for _, pol := range r.Policies {
		p := policyEntry{
			policyType: pol.Type,
			domain:     pol.Domain,
			successful: pol.Successful,
			failed:     pol.Failed,
			details:    make([]detailEntry, 0, len(pol.FailureDetails)),
		}
		if pol.Type == "sts" {
			p.mode = stsMode(pol.Strings)
		}
		for _, d := range pol.FailureDetails {
			p.details = append(p.details, detailEntry{
				key: DetailKey{
					ResultType:            d.ResultType,
					ReceivingMXHostname:   d.ReceivingMXHostname,
					ReceivingIP:           d.ReceivingIP,
					SendingMTAIP:          d.SendingMTAIP,
					FailureReasonCode:     d.FailureReasonCode,
					AdditionalInformation: d.AdditionalInformation,
				},
				count: d.FailedSessionCount,
			})
		}
		e.policies = append(e.policies, p)
	}
	return e
}

// stsMode returns the mode of an MTA-STS policy given as the lines of
// policy-string (RFC 8460 section 4.4), in lower case. RFC 8461 section
// 3.2: the policy holds a "mode" field of "enforce", "testing" or "none";
// another value is returned as sent. Some senders put the whole policy
// into one string, so each string is also split at line breaks.
func stsMode(policyStrings []string) string {
	for _, s := range policyStrings {
		for line := range strings.Lines(s) {
			key, value, ok := strings.Cut(line, ":")
			if ok && strings.EqualFold(strings.TrimSpace(key), "mode") {
				return strings.ToLower(strings.TrimSpace(value))
			}
		}
	}
	return ""
}
