package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseQuirks(t *testing.T) {
	march1 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		file  string // under testdata/quirks, or a corpus path
		hints Hints
		// want lists every warning as "code path" for files under
		// testdata/quirks; for a corpus file each listed one must be there.
		want  []string
		check func(t *testing.T, r *Report)
	}{
		{
			name: "datetime without zone",
			file: "datetime-no-zone.json",
			want: []string{
				"datetime-without-zone date-range.start-datetime",
				"datetime-without-zone date-range.end-datetime",
			},
			check: func(t *testing.T, r *Report) {
				if !r.Start.Equal(march1) {
					t.Errorf("Start = %v, want %v", r.Start, march1)
				}
				if want := march1.Add(24*time.Hour - time.Second); !r.End.Equal(want) {
					t.Errorf("End = %v, want %v", r.End, want)
				}
			},
		},
		{
			name: "datetime without zone microsoft",
			file: corpusDir + "/mox/microsoft.eml",
			want: []string{"datetime-without-zone date-range.start-datetime", "datetime-without-zone date-range.end-datetime"},
			check: func(t *testing.T, r *Report) {
				if want := time.Date(2023, 1, 10, 0, 0, 0, 0, time.UTC); !r.Start.Equal(want) {
					t.Errorf("Start = %v, want %v", r.Start, want)
				}
			},
		},
		{
			name: "string not array",
			file: "string-not-array.json",
			want: []string{
				"string-not-array policies[0].policy.policy-string",
				"string-not-array policies[0].policy.mx-host",
			},
			check: func(t *testing.T, r *Report) {
				pol := r.Policies[0]
				if !slices.Equal(pol.Strings, []string{"version: STSv1"}) {
					t.Errorf("Strings = %q", pol.Strings)
				}
				if !slices.Equal(pol.MXHosts, []string{"*.mail.example.com"}) {
					t.Errorf("MXHosts = %q", pol.MXHosts)
				}
			},
		},
		{
			name: "mx-host string rfc example",
			file: corpusDir + "/rfc8460/rfc8460-appendix-B.json",
			want: []string{"string-not-array policies[0].policy.mx-host"},
			check: func(t *testing.T, r *Report) {
				if got := r.Policies[0].MXHosts; len(got) != 1 {
					t.Errorf("MXHosts = %q, want one host", got)
				}
			},
		},
		{
			name: "contact-info null",
			file: "contact-info-null.json",
			want: []string{"null-member contact-info"},
			check: func(t *testing.T, r *Report) {
				if r.ContactInfo != "" {
					t.Errorf("ContactInfo = %q, want empty", r.ContactInfo)
				}
			},
		},
		{
			name: "contact-info null real",
			file: corpusDir + "/dmarc-report-viewer/no-contact.json",
			want: []string{"null-member contact-info"},
		},
		{
			name: "failure-details minimal",
			file: "failure-details-minimal.json",
			want: nil,
			check: func(t *testing.T, r *Report) {
				want := FailureDetail{ResultType: "sts-policy-fetch-error", FailedSessionCount: 3}
				if got := r.Policies[0].FailureDetails; len(got) != 1 || got[0].ResultType != want.ResultType ||
					got[0].FailedSessionCount != want.FailedSessionCount || got[0].SendingMTAIP != "" {
					t.Errorf("FailureDetails = %+v, want [%+v]", got, want)
				}
			},
		},
		{
			name: "failure-details minimal mail.ru",
			file: corpusDir + "/parsedmarc/mail.ru.json",
			want: []string{"failure-count-mismatch policies[0].summary.total-failure-session-count"},
			check: func(t *testing.T, r *Report) {
				for _, d := range r.Policies[0].FailureDetails {
					if d.SendingMTAIP != "" || d.ReceivingMXHostname != "" {
						t.Errorf("detail %+v has members mail.ru did not send", d)
					}
				}
			},
		},
		{
			name: "sending-mta-ip empty",
			file: "sending-mta-ip-empty.json",
			want: []string{"empty-ip policies[0].failure-details[0].sending-mta-ip"},
			check: func(t *testing.T, r *Report) {
				if got := r.Policies[0].FailureDetails[0].SendingMTAIP; got != "" {
					t.Errorf("SendingMTAIP = %q, want absent", got)
				}
			},
		},
		{
			name:  "policy-domain from header",
			file:  "policy-domain-missing.json",
			hints: Hints{ReportDomain: "example.com.", Filename: "sender.example!other.example!1709251200!1709337599.json.gz"},
			want:  []string{"policy-domain-from-header policies[0].policy.policy-domain"},
			check: wantDomain("example.com"),
		},
		{
			name:  "policy-domain from filename",
			file:  "policy-domain-missing.json",
			hints: Hints{Filename: "sender.example!other.example!1709251200!1709337599!001.json.gz"},
			want:  []string{"policy-domain-from-filename policies[0].policy.policy-domain"},
			check: wantDomain("other.example"),
		},
		{
			name:  "policy-domain unknown",
			file:  "policy-domain-missing.json",
			hints: Hints{Filename: "report.json.gz"},
			want:  []string{"missing-member policies[0].policy.policy-domain"},
			check: wantDomain(""),
		},
		{
			name:  "policy-domain missing real",
			file:  corpusDir + "/mail-auth/rpt03.json",
			hints: Hints{ReportDomain: "example.org"},
			want:  []string{"policy-domain-from-header policies[0].policy.policy-domain"},
			check: wantDomain("example.org"),
		},
		{
			name: "counts as strings",
			file: "counts-as-strings.json",
			want: []string{
				"count-as-string policies[0].failure-details[0].failed-session-count",
				"count-as-string policies[0].summary.total-successful-session-count",
				"count-as-string policies[0].summary.total-failure-session-count",
			},
			check: func(t *testing.T, r *Report) {
				pol := r.Policies[0]
				if pol.Successful != 42 || pol.Failed != 1 || pol.FailureDetails[0].FailedSessionCount != 1 {
					t.Errorf("counts = %d, %d, %d; want 42, 1, 1", pol.Successful, pol.Failed, pol.FailureDetails[0].FailedSessionCount)
				}
			},
		},
		{
			name: "policy-type upper case",
			file: "policy-type-upper.json",
			want: []string{"policy-type-case policies[0].policy.policy-type"},
			check: func(t *testing.T, r *Report) {
				if got := r.Policies[0].Type; got != "sts" {
					t.Errorf("Type = %q, want sts", got)
				}
			},
		},
		{
			name: "trailing dot",
			file: "trailing-dot.json",
			want: []string{
				"trailing-dot policies[0].policy.mx-host[0]",
				"trailing-dot policies[0].policy.policy-domain",
				"trailing-dot policies[0].failure-details[0].receiving-mx-hostname",
			},
			check: func(t *testing.T, r *Report) {
				pol := r.Policies[0]
				got := []string{pol.Domain, pol.MXHosts[0], pol.FailureDetails[0].ReceivingMXHostname}
				if want := []string{"example.com", "mx.example.com", "mx.example.com"}; !slices.Equal(got, want) {
					t.Errorf("domains = %q, want %q", got, want)
				}
			},
		},
		{
			name: "unregistered types",
			file: "unregistered-types.json",
			want: []string{
				"unregistered-policy-type policies[0].policy.policy-type",
				"unregistered-result-type policies[0].failure-details[0].result-type",
			},
			check: func(t *testing.T, r *Report) {
				if got := r.Policies[0].Type; got != "dane-sts-hybrid" {
					t.Errorf("Type = %q, want it kept", got)
				}
				if got := r.Policies[0].FailureDetails[0].ResultType; got != "Testing" {
					t.Errorf("ResultType = %q, want it kept", got)
				}
			},
		},
		{
			name: "unregistered result-type real",
			file: corpusDir + "/tls-rpt-monitor/microsoft-report.json",
			want: []string{
				"unregistered-result-type policies[0].failure-details[0].result-type",
				"invalid-ip policies[0].failure-details[0].sending-mta-ip",
			},
		},
		{
			name: "unregistered policy-type real",
			file: corpusDir + "/mail-auth/rpt03.json",
			want: []string{"unregistered-policy-type policies[1].policy.policy-type"},
		},
		{
			name: "count mismatch",
			file: "count-mismatch.json",
			want: []string{"failure-count-mismatch policies[0].summary.total-failure-session-count"},
			check: func(t *testing.T, r *Report) {
				if got := r.Policies[0].Failed; got != 1 {
					t.Errorf("Failed = %d, want 1 as sent", got)
				}
				if got := r.Policies[0].FailureTotal(); got != 2 {
					t.Errorf("FailureTotal = %d, want 2", got)
				}
			},
		},
		{
			name: "count mismatch real",
			file: corpusDir + "/tls-rpt-monitor/microsoft-report.json",
			want: []string{"failure-count-mismatch policies[0].summary.total-failure-session-count"},
		},
		{
			name: "extra members",
			file: "extra-members.json",
			want: nil,
			check: func(t *testing.T, r *Report) {
				line := string(r.AppendJSON(nil))
				for _, want := range []string{
					`"end-datetime":"2024-03-01T23:59:59Z","time-zone-note":"UTC"}`,
					`"mx-host":["mx.example.com"],"mx-host-pattern":["*.example.com"]}`,
					`"total-failure-session-count":1,"sampled":true}`,
					`"failed-session-count":1,"additional-info-uri":"https://sender.example/why?id=1","zeta":{"b":[1,2.5,null],"a":"<&>"}}`,
					`"note":"policy-level member"}`,
					`"x-sender-version":"2.1","_vendor":{"id":7}}`,
				} {
					if !strings.Contains(line, want) {
						t.Errorf("line lacks %s\nline: %s", want, line)
					}
				}
			},
		},
		{
			name: "extra members real",
			file: corpusDir + "/DmarcAnalyzerApp/sample-google-tls.json",
			check: func(t *testing.T, r *Report) {
				if got := r.Policies[0].PolicyExtra; len(got) != 1 || got[0].Name != "mx-host-pattern" {
					t.Errorf("PolicyExtra = %v, want mx-host-pattern", got)
				}
			},
		},
		{
			name: "byte order mark",
			file: "byte-order-mark.json",
			want: []string{"byte-order-mark "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.file
			if !strings.HasPrefix(path, corpusDir) {
				path = filepath.Join("testdata/quirks", path)
			}
			r, err := Parse(readReport(t, path), tt.hints)
			if err != nil {
				t.Fatal(err)
			}

			got := warningCodes(r)
			if strings.HasPrefix(path, corpusDir) {
				for _, w := range tt.want {
					if !slices.Contains(got, w) {
						t.Errorf("warnings %q lack %q", got, w)
					}
				}
			} else if !slices.Equal(got, tt.want) {
				t.Errorf("warnings = %q, want %q", got, tt.want)
			}

			if tt.check != nil {
				tt.check(t, r)
			}
			checkLine(t, tt.name, r.AppendJSON(nil))
		})
	}
}

func wantDomain(want string) func(t *testing.T, r *Report) {
	return func(t *testing.T, r *Report) {
		t.Helper()
		if got := r.Policies[0].Domain; got != want {
			t.Errorf("Domain = %q, want %q", got, want)
		}
	}
}

// Empty arrays and missing members must give the same RFC content.
func TestParseEmptyEqualsMissing(t *testing.T) {
	var lines [][]byte
	for _, name := range []string{"empty-arrays.json", "missing-arrays.json"} {
		r, err := Parse(readReport(t, filepath.Join("testdata/quirks", name)), Hints{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.Warnings) != 0 {
			t.Errorf("%s: warnings %q, want none", name, warningCodes(r))
		}
		lines = append(lines, r.AppendRFC(nil))
	}
	if !bytes.Equal(lines[0], lines[1]) {
		t.Errorf("empty and missing arrays differ\nempty:   %s\nmissing: %s", lines[0], lines[1])
	}
	if want := `"policy-string":[],"policy-domain":"example.com","mx-host":[]}`; !bytes.Contains(lines[1], []byte(want)) {
		t.Errorf("line lacks %s: %s", want, lines[1])
	}
	if want := `"failure-details":[]}`; !bytes.Contains(lines[1], []byte(want)) {
		t.Errorf("line lacks %s: %s", want, lines[1])
	}
}

func TestParseReportIDShapes(t *testing.T) {
	base, err := os.ReadFile("testdata/quirks/base.json")
	if err != nil {
		t.Fatal(err)
	}
	const baseID = `"report-id": "2024-03-01T00:00:00Z_example.com"`
	if !bytes.Contains(base, []byte(baseID)) {
		t.Fatalf("base.json lacks %s", baseID)
	}
	for _, id := range []string{
		"5065427c-23d3-47ca-b6e0-946ea0e8c4be",     // RFC 8460 Appendix B
		"<5065427c-23d3-47ca-b6e0-946ea0e8c4be>",   // the same in angle brackets
		"133526718584528772+example.com",           // Microsoft
		"<133526718584528772+example.com>",         // Microsoft, as in its Subject
		"1709251200+",                              // digits and a plus only
		"2024-03-01T00:00:00Z_example.com",         // Google
		"b28254de-7b2e-be36-bb5c-4c3b92da8b25@x.y", // Mail.ru
		"123_456",
		" padded ",
	} {
		t.Run(id, func(t *testing.T) {
			input := bytes.Replace(base, []byte(baseID), []byte(`"report-id": "`+id+`"`), 1)
			r, err := Parse(input, Hints{})
			if err != nil {
				t.Fatal(err)
			}
			if r.ReportID != id {
				t.Errorf("ReportID = %q, want %q", r.ReportID, id)
			}
			line := r.AppendJSON(nil)
			if want := `"report-id":"` + id + `"`; !bytes.Contains(line, []byte(want)) {
				t.Errorf("line lacks %s verbatim: %s", want, line)
			}
			checkLine(t, id, line)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		input   string // a file under testdata/quirks when it ends in .json
		wantErr string
	}{
		{"invalid json", "invalid-json.json", "invalid JSON at byte 54: unexpected end of input"},
		{"not an object", "not-an-object.json", "the JSON text is an array, not an object"},
		{"report-id missing", "report-id-missing.json", "report-id is missing"},
		{"empty input", "", "invalid JSON at byte 0: unexpected end of input"},
		{"null", "null", "the JSON text is null, not an object"},
		{"string", `"report"`, "the JSON text is a string, not an object"},
		{"report-id null", `{"report-id":null}`, "report-id is missing"},
		{"report-id blank", `{"report-id":" "}`, "report-id is missing"},
		{"data after value", `{"report-id":"x"} {}`, "data after the JSON value"},
		{"date-range missing", `{"report-id":"x"}`, "date-range is missing"},
		{"datetime invalid", `{"report-id":"x","date-range":{"start-datetime":"yesterday","end-datetime":"2024-03-01T00:00:00Z"}}`,
			`date-range.start-datetime: invalid RFC 3339 date-time "yesterday"`},
		{"datetime outside years", `{"report-id":"x","date-range":{"start-datetime":"9999-12-31T23:00:00-05:00","end-datetime":"9999-12-31T23:00:00Z"}}`,
			"date-range.start-datetime: date-time \"9999-12-31T23:00:00-05:00\" is outside the years 0000 to 9999 in UTC"},
		{"negative count", `{"report-id":"x","date-range":{"start-datetime":"2024-03-01T00:00:00Z","end-datetime":"2024-03-01T00:00:00Z"},` +
			`"policies":[{"summary":{"total-successful-session-count":-1}}]}`,
			"policies[0].summary.total-successful-session-count: want a non-negative integer, got -1"},
		{"policies not array", `{"report-id":"x","date-range":{"start-datetime":"2024-03-01T00:00:00Z","end-datetime":"2024-03-01T00:00:00Z"},"policies":{}}`,
			"policies: want an array, got {}"},
		{"nested too deep", `{"report-id":"x","deep":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`,
			"nested deeper than 256 levels"},
		{"source unknown member", `{"report-id":"x","_source":{"host":"a"}}`, "_source.host: not a member tlsrpt writes"},
		{"warning bad code", `{"report-id":"x","_warnings":[{"code":"Bad Code","message":"m"}]}`, "_warnings.code: want lower-case words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := []byte(tt.input)
			if strings.HasSuffix(tt.input, ".json") {
				input = readReport(t, filepath.Join("testdata/quirks", tt.input))
			}
			r, err := Parse(input, Hints{})
			if err == nil {
				t.Fatalf("Parse returned %s, want an error", r.AppendJSON(nil))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// Every report Parse accepts gives a line that matches the schema and that
// Parse reproduces exactly.
func TestParseLinesIdempotent(t *testing.T) {
	files := append(bareReports(t), quirkFiles(t)...)
	for _, path := range files {
		r, err := Parse(readReport(t, path), Hints{ReportDomain: "example.net"})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		r.Source = &Source{Input: path, Message: 1, MessageID: "<id@example.net>", Filename: filepath.Base(path),
			SHA256: strings.Repeat("ab", 32)}
		r.Ingested = time.Date(2024, 3, 2, 8, 0, 0, 5e8, time.UTC)
		checkLine(t, path, r.AppendJSON(nil))
	}
}

func TestParseWarningsCappedPerCode(t *testing.T) {
	var details []string
	for i := range 250 {
		details = append(details, fmt.Sprintf(`{"result-type":"certificate-expired","sending-mta-ip":"mta-%d.example.net","failed-session-count":1}`, i))
	}
	doc := `{"organization-name":"Example","contact-info":"a@example.net","report-id":"many",` +
		`"date-range":{"start-datetime":"2026-03-01T00:00:00Z","end-datetime":"2026-03-01T23:59:59Z"},` +
		`"policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.net"},` +
		`"summary":{"total-successful-session-count":0,"total-failure-session-count":250},` +
		`"failure-details":[` + strings.Join(details, ",") + `]}]}`
	r, err := Parse([]byte(doc), Hints{})
	if err != nil {
		t.Fatal(err)
	}
	var withPath, summaries []Warning
	for _, w := range r.Warnings {
		if w.Code != WarnInvalidIP {
			continue
		}
		if w.Path == "" {
			summaries = append(summaries, w)
		} else {
			withPath = append(withPath, w)
		}
	}
	if len(withPath) != maxWarningsPerCode {
		t.Errorf("%d invalid-ip warnings with a path, want %d", len(withPath), maxWarningsPerCode)
	}
	if len(summaries) != 1 {
		t.Fatalf("%d invalid-ip warnings without a path, want one that counts the rest", len(summaries))
	}
	if want := "150 more invalid-ip warnings left out"; summaries[0].Message != want {
		t.Errorf("last warning %q, want %q", summaries[0].Message, want)
	}
	checkLine(t, "250 invalid IP addresses", r.AppendJSON(nil))
}
