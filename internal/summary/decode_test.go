package summary

import (
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/extract"
	"github.com/tlsrpt/tlsrpt/internal/report"
)

// corpusLines returns the normalised line of every report in the corpus.
func corpusLines(t *testing.T) [][]byte {
	t.Helper()
	var lines [][]byte
	err := filepath.WalkDir("../../testdata/corpus", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "README.md" {
			return err
		}
		found, _ := extract.ExtractFile(path) // files without a report are tested in internal/extract
		for _, r := range found {
			lines = append(lines, r.AppendJSON(nil))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 20 {
		t.Fatalf("corpus gave %d reports, want at least 20", len(lines))
	}
	return lines
}

func TestDecodeNormalisedMatchesParse(t *testing.T) {
	for i, line := range corpusLines(t) {
		fast, ok := decodeNormalised(line)
		if !ok {
			t.Errorf("line %d: typed decoder rejected a normalised line: %s", i, line)
			continue
		}
		r, err := report.Parse(line, report.Hints{})
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if slow := entryFromReport(r); !reflect.DeepEqual(fast, slow) {
			t.Errorf("line %d: typed decoder gives\n%+v\nreport.Parse gives\n%+v", i, fast, slow)
		}
	}
}

func TestDecodeLineRawReports(t *testing.T) {
	tests := []struct {
		name string
		line string
		want entry
	}{
		{
			name: "mx-host string and counts as strings",
			line: `{"organization-name":"Org","date-range":{"start-datetime":"2024-09-15T00:00:00Z","end-datetime":"2024-09-15T23:59:59Z"},` +
				`"contact-info":"c","report-id":"r1","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing"],` +
				`"policy-domain":"example.com.","mx-host":"mx.example.com"},"summary":{"total-successful-session-count":"5","total-failure-session-count":1},` +
				`"failure-details":[{"result-type":"certificate-expired","receiving-mx-hostname":"mx.example.com.","failed-session-count":"1"}]}]}`,
			want: entry{
				organization: "Org",
				start:        parseTime("2024-09-15T00:00:00Z"),
				end:          parseTime("2024-09-15T23:59:59Z"),
				policies: []policyEntry{{
					policyType: "sts", domain: "example.com", mode: "testing", successful: 5, failed: 1,
					details: []detailEntry{{key: DetailKey{ResultType: "certificate-expired", ReceivingMXHostname: "mx.example.com"}, count: 1}},
				}},
			},
		},
		{
			name: "datetime without zone and upper-case type",
			line: `{"organization-name":"Microsoft Corporation","date-range":{"start-datetime":"2023-01-10T00:00:00","end-datetime":"2023-01-11T00:00:00"},` +
				`"contact-info":"c","report-id":"r2","policies":[{"policy":{"policy-type":"STS","policy-string":["mode:enforce"],"policy-domain":"example.org"},` +
				`"summary":{"total-successful-session-count":2}}]}`,
			want: entry{
				organization: "Microsoft Corporation",
				start:        parseTime("2023-01-10T00:00:00Z"),
				end:          parseTime("2023-01-11T00:00:00Z"),
				policies:     []policyEntry{{policyType: "sts", domain: "example.org", mode: "enforce", successful: 2, details: []detailEntry{}}},
			},
		},
		{
			name: "whole policy in one string",
			line: `{"organization-name":"Org","date-range":{"start-datetime":"2024-09-15T00:00:00Z","end-datetime":"2024-09-16T00:00:00Z"},` +
				`"contact-info":"c","report-id":"r3","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1\r\nMode: None\r\n"],` +
				`"policy-domain":"example.net"},"summary":{"total-successful-session-count":0,"total-failure-session-count":0}}]}`,
			want: entry{
				organization: "Org",
				start:        parseTime("2024-09-15T00:00:00Z"),
				end:          parseTime("2024-09-16T00:00:00Z"),
				policies:     []policyEntry{{policyType: "sts", domain: "example.net", mode: "none", details: []detailEntry{}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeLine([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodeLine gives\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestDecodeLineInvalid(t *testing.T) {
	for _, line := range []string{
		`{"organization-name":"Org"`,
		`[1,2]`,
		`{"organization-name":"Org","date-range":{"start-datetime":"2024-09-15T00:00:00Z","end-datetime":"2024-09-16T00:00:00Z"},"policies":[]}`,
		`{"report-id":"r","date-range":{"start-datetime":"yesterday","end-datetime":"2024-09-15T00:00:00Z"},"policies":[]}`,
		`{"report-id":"r","date-range":{"start-datetime":"2024-09-15T00:00:00Z","end-datetime":"2024-09-16T00:00:00Z"},"policies":[{"summary":{"total-successful-session-count":-1}}]}`,
	} {
		if _, err := decodeLine([]byte(line)); err == nil {
			t.Errorf("decodeLine(%s) returned no error", line)
		}
	}
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}
