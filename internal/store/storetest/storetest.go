// Package storetest generates valid RFC 8460 reports for the tests and
// benchmarks of the store and of tlsrpt-ingest, so that no large input has
// to be committed.
package storetest

import (
	"strconv"
	"time"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// AppendLine appends report number n as one NDJSON line, with "\n", to b.
// Reports with different n have different dedup keys. The report is shaped
// like a daily report from a large sender: one STS policy with two MX
// hosts, and a failure detail in every seventh report. Variant changes the
// session counts only, so the same n with another variant gives a report
// with the same key but other content.
func AppendLine(b []byte, n, variant int) []byte {
	day := epoch.AddDate(0, 0, n%3650)
	org := "Reporter " + strconv.Itoa(n%50)
	id := strconv.Itoa(n) + "_gen.example"

	b = append(b, `{"organization-name":"`...)
	b = append(b, org...)
	b = append(b, `","date-range":{"start-datetime":"`...)
	b = day.AppendFormat(b, time.RFC3339)
	b = append(b, `","end-datetime":"`...)
	b = day.Add(24*time.Hour-time.Second).AppendFormat(b, time.RFC3339)
	b = append(b, `"},"contact-info":"tls-reports@reporter`...)
	b = strconv.AppendInt(b, int64(n%50), 10)
	b = append(b, `.example","report-id":"`...)
	b = append(b, id...)
	b = append(b, `","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx1.customer`...)
	b = strconv.AppendInt(b, int64(n%1000), 10)
	b = append(b, `.example","max_age: 86400"],"policy-domain":"customer`...)
	b = strconv.AppendInt(b, int64(n%1000), 10)
	b = append(b, `.example","mx-host":["mx1.customer`...)
	b = strconv.AppendInt(b, int64(n%1000), 10)
	b = append(b, `.example","mx2.customer`...)
	b = strconv.AppendInt(b, int64(n%1000), 10)
	b = append(b, `.example"]},"summary":{"total-successful-session-count":`...)
	b = strconv.AppendInt(b, int64(n%997+variant), 10)

	failed := 0
	if n%7 == 0 {
		failed = n%5 + 1
	}
	b = append(b, `,"total-failure-session-count":`...)
	b = strconv.AppendInt(b, int64(failed), 10)
	b = append(b, `},"failure-details":[`...)
	if failed > 0 {
		b = append(b, `{"result-type":"certificate-expired","sending-mta-ip":"192.0.2.`...)
		b = strconv.AppendInt(b, int64(n%250+1), 10)
		b = append(b, `","receiving-mx-hostname":"mx1.customer`...)
		b = strconv.AppendInt(b, int64(n%1000), 10)
		b = append(b, `.example","receiving-ip":"198.51.100.7","failed-session-count":`...)
		b = strconv.AppendInt(b, int64(failed), 10)
		b = append(b, `}`...)
	}
	b = append(b, "]}]}\n"...)
	return b
}

// Lines returns reports first to first+count-1, variant 0, as NDJSON.
func Lines(first, count int) []byte {
	var b []byte
	for n := first; n < first+count; n++ {
		b = AppendLine(b, n, 0)
	}
	return b
}
