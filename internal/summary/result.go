package summary

import (
	"cmp"
	"slices"
	"time"
)

// Result is the finished summary, sorted, in the form that both the text
// and the JSON output render. The JSON member names are documented in
// docs/summary-json.md and stay stable.
type Result struct {
	Since            *time.Time `json:"since"` // nil when -since is not set
	Until            *time.Time `json:"until"` // nil when -until is not set
	Reports          int64      `json:"report-count"`
	ReporterCount    int        `json:"reporter-count"`
	FirstDay         *string    `json:"first-day"` // nil when there are no reports
	LastDay          *string    `json:"last-day"`
	UnreadableLines  int64      `json:"unreadable-lines"`
	UnreadableInputs int64      `json:"unreadable-inputs"` // files that could not be opened
	Policies         []Policy   `json:"policies"`
	Reporters        []Reporter `json:"reporters"`
	Days             []Day      `json:"days"`
}

// Policy is the summary of one policy domain and policy type.
type Policy struct {
	Domain    string   `json:"policy-domain"`
	Type      string   `json:"policy-type"`
	Modes     []string `json:"mta-sts-modes"`
	Reporters []string `json:"reporters"`
	FirstDay  string   `json:"first-day"`
	LastDay   string   `json:"last-day"`
	Counts
	FailureRate float64   `json:"failure-rate"`
	Failures    []Failure `json:"failure-details"`
}

// Failure is one group of failure details with its session count.
type Failure struct {
	ResultType            string `json:"result-type"`
	ReceivingMXHostname   string `json:"receiving-mx-hostname"`
	ReceivingIP           string `json:"receiving-ip"`
	SendingMTAIP          string `json:"sending-mta-ip"`
	FailureReasonCode     string `json:"failure-reason-code"`
	AdditionalInformation string `json:"additional-information"`
	Sessions              int64  `json:"failed-session-count"`
}

// Reporter is the total of one reporter for one policy type.
type Reporter struct {
	Organization string `json:"organization-name"`
	Type         string `json:"policy-type"`
	Counts
}

// Day is the total of the reports that start on one UTC day, for one
// policy type.
type Day struct {
	Date string `json:"date"`
	Type string `json:"policy-type"`
	Counts
}

// HasFailures reports whether the policy has failed sessions, by its
// summary count or by its failure details: some senders report failure
// details whose counts disagree with the summary.
func (p *Policy) HasFailures() bool {
	return p.Failed > 0 || len(p.Failures) > 0
}

// HasFailures reports whether any policy has failed sessions.
func (r *Result) HasFailures() bool {
	for i := range r.Policies {
		if r.Policies[i].HasFailures() {
			return true
		}
	}
	return false
}

// Result returns the sorted summary. Policies are sorted by domain and
// type, failure details by session count (largest first), reporters by
// name and days by date.
func (s *Summary) Result() *Result {
	r := &Result{
		Reports:       s.reports,
		ReporterCount: len(s.reporters),
		Policies:      []Policy{},
		Reporters:     []Reporter{},
		Days:          []Day{},
	}
	if !s.period.Since.IsZero() {
		since := s.period.Since
		r.Since = &since
	}
	if !s.period.Until.IsZero() {
		until := s.period.Until
		r.Until = &until
	}
	if s.reports > 0 {
		r.FirstDay, r.LastDay = &s.firstDay, &s.lastDay
	}

	for key, g := range s.groups {
		r.Policies = append(r.Policies, g.policy(key))
	}
	slices.SortFunc(r.Policies, func(a, b Policy) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Type, b.Type))
	})

	for key, c := range s.byReporter {
		r.Reporters = append(r.Reporters, Reporter{Organization: key.name, Type: key.policyType, Counts: *c})
	}
	slices.SortFunc(r.Reporters, func(a, b Reporter) int {
		return cmp.Or(cmp.Compare(a.Organization, b.Organization), cmp.Compare(a.Type, b.Type))
	})

	for key, c := range s.byDay {
		r.Days = append(r.Days, Day{Date: key.name, Type: key.policyType, Counts: *c})
	}
	slices.SortFunc(r.Days, func(a, b Day) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.Type, b.Type))
	})
	return r
}

func (g *group) policy(key groupKey) Policy {
	p := Policy{
		Domain:    key.domain,
		Type:      key.policyType,
		Modes:     sortedModes(g.modes),
		Reporters: sortedKeys(g.reporters),
		FirstDay:  g.firstDay,
		LastDay:   g.lastDay,
		Counts:    g.counts,
		Failures:  make([]Failure, 0, len(g.details)),
	}
	p.FailureRate = FailureRate(p.Successful, p.Failed)

	for k, n := range g.details {
		p.Failures = append(p.Failures, Failure{
			ResultType:            k.ResultType,
			ReceivingMXHostname:   k.ReceivingMXHostname,
			ReceivingIP:           k.ReceivingIP,
			SendingMTAIP:          k.SendingMTAIP,
			FailureReasonCode:     k.FailureReasonCode,
			AdditionalInformation: k.AdditionalInformation,
			Sessions:              n,
		})
	}
	slices.SortFunc(p.Failures, func(a, b Failure) int {
		return cmp.Or(
			cmp.Compare(b.Sessions, a.Sessions),
			cmp.Compare(a.ResultType, b.ResultType),
			cmp.Compare(a.ReceivingMXHostname, b.ReceivingMXHostname),
			cmp.Compare(a.ReceivingIP, b.ReceivingIP),
			cmp.Compare(a.SendingMTAIP, b.SendingMTAIP),
			cmp.Compare(a.FailureReasonCode, b.FailureReasonCode),
			cmp.Compare(a.AdditionalInformation, b.AdditionalInformation),
		)
	})
	return p
}

// FailureRate returns failed / (successful + failed), or 0 when there
// were no sessions.
func FailureRate(successful, failed int64) float64 {
	if successful+failed == 0 {
		return 0
	}
	return float64(failed) / float64(successful+failed)
}

// modeOrder lists the modes of RFC 8461 section 3.2 from the strictest; other
// values sort after them by name.
var modeOrder = map[string]int{"enforce": 1, "testing": 2, "none": 3}

func sortedModes(set map[string]bool) []string {
	modes := sortedKeys(set)
	slices.SortStableFunc(modes, func(a, b string) int {
		return cmp.Compare(cmp.Or(modeOrder[a], 4), cmp.Or(modeOrder[b], 4))
	})
	return modes
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
