package report

import (
	"fmt"
	"testing"
	"time"
)

// benchReport generates a report like Google's and Microsoft's daily ones:
// an sts policy with four policy-string lines and two MX hosts per domain,
// and one failure detail of each of three result types on every other
// policy.
func benchReport(policies int) []byte {
	r := &Report{
		OrganizationName: "Google Inc.",
		Start:            time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		End:              time.Date(2024, 3, 1, 23, 59, 59, 0, time.UTC),
		ContactInfo:      "smtp-tls-reporting@google.com",
		ReportID:         "2024-03-01T00:00:00Z_example.com",
	}
	results := []string{"certificate-expired", "validation-failure", "sts-policy-fetch-error"}
	for i := range policies {
		domain := fmt.Sprintf("domain%d.example", i)
		pol := Policy{
			Type:       "sts",
			Strings:    []string{"version: STSv1", "mode: enforce", "mx: mx1." + domain, "max_age: 604800"},
			Domain:     domain,
			MXHosts:    []string{"mx1." + domain, "mx2." + domain},
			Successful: int64(1000 + i),
		}
		if i%2 == 1 {
			for j, result := range results {
				pol.FailureDetails = append(pol.FailureDetails, FailureDetail{
					ResultType:          result,
					SendingMTAIP:        fmt.Sprintf("209.85.%d.%d", i%256, j),
					ReceivingMXHostname: "mx1." + domain,
					ReceivingIP:         fmt.Sprintf("198.51.100.%d", j),
					FailedSessionCount:  int64(j + 1),
				})
			}
			pol.Failed = pol.FailureTotal()
		}
		r.Policies = append(r.Policies, pol)
	}
	return r.AppendJSON(nil)
}

var benchSizes = []int{1, 10, 50}

func BenchmarkParse(b *testing.B) {
	for _, n := range benchSizes {
		data := benchReport(n)
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(data, Hints{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	for _, n := range benchSizes {
		data := benchReport(n)
		r, err := Parse(data, Hints{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			buf := make([]byte, 0, 2*len(data))
			for b.Loop() {
				buf = r.AppendJSON(buf[:0])
			}
		})
	}
}
