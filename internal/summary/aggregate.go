// Package summary aggregates SMTP TLS reports (RFC 8460) over a period and
// renders the result as text for a mail administrator or as one JSON
// document. Memory grows with the number of groups (policy domains and
// types, failure details, reporters, days), not with the number of
// reports, so a store of any length is read as a stream.
package summary

import (
	"github.com/tlsrpt/tlsrpt/internal/report"
)

// DetailKey groups failure details: sessions that failed in the same way
// at the same place are added up.
type DetailKey struct {
	ResultType            string
	ReceivingMXHostname   string
	ReceivingIP           string
	SendingMTAIP          string
	FailureReasonCode     string
	AdditionalInformation string
}

// groupKey is one line of the summary. Microsoft reports the same
// sessions under a tlsa and an sts policy for one domain, so the policy
// type is part of the key and sessions of different types are never added.
type groupKey struct {
	domain     string
	policyType string
}

type group struct {
	modes     map[string]bool
	reporters map[string]bool
	firstDay  string
	lastDay   string
	counts    Counts
	details   map[DetailKey]int64
}

// typedKey keys the per-reporter and per-day totals, which are also kept
// apart by policy type.
type typedKey struct {
	name       string // organization-name or day
	policyType string
}

// Counts are the report and session totals of one row.
type Counts struct {
	Reports    int64 `json:"reports"`
	Successful int64 `json:"total-successful-session-count"`
	Failed     int64 `json:"total-failure-session-count"`
}

// Summary accumulates reports that fall into a period.
type Summary struct {
	period     Period
	reports    int64
	reporters  map[string]bool
	firstDay   string
	lastDay    string
	groups     map[groupKey]*group
	byReporter map[typedKey]*Counts
	byDay      map[typedKey]*Counts
}

// New returns an empty summary of the reports in period.
func New(period Period) *Summary {
	return &Summary{
		period:     period,
		reporters:  map[string]bool{},
		groups:     map[groupKey]*group{},
		byReporter: map[typedKey]*Counts{},
		byDay:      map[typedKey]*Counts{},
	}
}

// AddLine decodes one report line and adds it when it is in the period.
// It returns whether the report was added; an error means the line is not
// a usable report and nothing was added.
func (s *Summary) AddLine(line []byte) (bool, error) {
	e, err := decodeLine(line)
	if err != nil {
		return false, err
	}
	return s.add(e), nil
}

// AddReport adds a parsed report when it is in the period and returns
// whether it was added.
func (s *Summary) AddReport(r *report.Report) bool {
	return s.add(entryFromReport(r))
}

func (s *Summary) add(e entry) bool {
	if !s.period.Contains(e.start, e.end) {
		return false
	}
	first, last := ReportDays(e.start, e.end)

	s.reports++
	s.reporters[e.organization] = true
	s.firstDay = minDay(s.firstDay, first)
	s.lastDay = maxDay(s.lastDay, last)

	// A report without policies has no sessions, but it still counts for
	// its reporter and day under the policy type "", so that those totals
	// cover every report added.
	if len(e.policies) == 0 {
		s.counts(s.byReporter, typedKey{e.organization, ""}).Reports++
		s.counts(s.byDay, typedKey{first, ""}).Reports++
		return true
	}

	// A report counts once per policy type for the reporter and day
	// totals, however many domains of that type it covers.
	seenTypes := make(map[string]bool, 2)
	for i := range e.policies {
		p := &e.policies[i]
		s.addPolicy(e.organization, first, last, p)

		reporter := s.counts(s.byReporter, typedKey{e.organization, p.policyType})
		day := s.counts(s.byDay, typedKey{first, p.policyType})
		if !seenTypes[p.policyType] {
			seenTypes[p.policyType] = true
			reporter.Reports++
			day.Reports++
		}
		reporter.Successful += p.successful
		reporter.Failed += p.failed
		day.Successful += p.successful
		day.Failed += p.failed
	}
	return true
}

func (s *Summary) addPolicy(organization, first, last string, p *policyEntry) {
	key := groupKey{p.domain, p.policyType}
	g := s.groups[key]
	if g == nil {
		g = &group{
			modes:     map[string]bool{},
			reporters: map[string]bool{},
			details:   map[DetailKey]int64{},
		}
		s.groups[key] = g
	}

	if p.mode != "" {
		g.modes[p.mode] = true
	}
	g.reporters[organization] = true
	g.firstDay = minDay(g.firstDay, first)
	g.lastDay = maxDay(g.lastDay, last)
	g.counts.Reports++
	g.counts.Successful += p.successful
	g.counts.Failed += p.failed
	for _, d := range p.details {
		g.details[d.key] += d.count
	}
}

func (s *Summary) counts(m map[typedKey]*Counts, key typedKey) *Counts {
	c := m[key]
	if c == nil {
		c = &Counts{}
		m[key] = c
	}
	return c
}

// minDay and maxDay compare "2006-01-02" strings, which sort by date; ""
// stands for no day yet.
func minDay(current, day string) string {
	if current == "" || day < current {
		return day
	}
	return current
}

func maxDay(current, day string) string {
	if day > current {
		return day
	}
	return current
}
