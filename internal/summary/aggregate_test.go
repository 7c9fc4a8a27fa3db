package summary

import (
	"reflect"
	"testing"
)

// Three reports from one reporter: one with an sts policy, one with an
// empty policies array and one without the policies member, which is read
// as an empty array.
const (
	lineWithPolicy = `{"organization-name":"Example Mail","date-range":{"start-datetime":"2026-11-26T00:00:00Z","end-datetime":"2026-11-26T23:59:59Z"},` +
		`"contact-info":"tlsrpt@mail.example","report-id":"r1","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce"],"policy-domain":"example.org"},` +
		`"summary":{"total-successful-session-count":5,"total-failure-session-count":0}}]}`
	lineEmptyPolicies = `{"organization-name":"Example Mail","date-range":{"start-datetime":"2026-11-27T00:00:00Z","end-datetime":"2026-11-27T23:59:59Z"},` +
		`"contact-info":"tlsrpt@mail.example","report-id":"r2","policies":[]}`
	lineNoPolicies = `{"organization-name":"Example Mail","date-range":{"start-datetime":"2026-11-27T00:00:00Z","end-datetime":"2026-11-27T23:59:59Z"},` +
		`"contact-info":"tlsrpt@mail.example","report-id":"r3"}`
)

func TestReportWithoutPolicies(t *testing.T) {
	s := New(Period{})
	for _, line := range []string{lineWithPolicy, lineEmptyPolicies, lineNoPolicies} {
		added, err := s.AddLine([]byte(line))
		if err != nil || !added {
			t.Fatalf("AddLine = %v, %v; want true, nil for %s", added, err, line)
		}
	}
	r := s.Result()

	if r.Reports != 3 {
		t.Errorf("Reports = %d, want 3", r.Reports)
	}
	if r.ReporterCount != 1 {
		t.Errorf("ReporterCount = %d, want 1", r.ReporterCount)
	}
	if len(r.Policies) != 1 || r.Policies[0].Reports != 1 {
		t.Errorf("Policies = %+v, want only the sts policy of one report", r.Policies)
	}

	wantReporters := []Reporter{
		{Organization: "Example Mail", Type: "", Counts: Counts{Reports: 2}},
		{Organization: "Example Mail", Type: "sts", Counts: Counts{Reports: 1, Successful: 5}},
	}
	if !reflect.DeepEqual(r.Reporters, wantReporters) {
		t.Errorf("Reporters = %+v\nwant %+v", r.Reporters, wantReporters)
	}
	wantDays := []Day{
		{Date: "2026-11-26", Type: "sts", Counts: Counts{Reports: 1, Successful: 5}},
		{Date: "2026-11-27", Type: "", Counts: Counts{Reports: 2}},
	}
	if !reflect.DeepEqual(r.Days, wantDays) {
		t.Errorf("Days = %+v\nwant %+v", r.Days, wantDays)
	}
}
