package imaptest

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// GenerateMails returns n synthetic mails for load tests and benchmarks:
// every tenth is an ordinary mail, the others are report mails in the form
// of RFC 8460 section 5.3 with a small JSON report attached. Report mails
// are about 2 KB.
func GenerateMails(n int, start time.Time) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		date := start.Add(time.Duration(i) * time.Minute)
		if i%10 == 9 {
			msgs[i] = Message{Data: ordinaryMail(i, date), InternalDate: date}
			continue
		}
		msgs[i] = Message{Data: reportMail(i, date), InternalDate: date}
	}
	return msgs
}

func ordinaryMail(i int, date time.Time) []byte {
	return fmt.Appendf(nil, "From: person%d@example.org\r\nTo: ops@example.net\r\nSubject: note %d\r\nDate: %s\r\nMessage-ID: <note-%d@example.org>\r\n\r\nFrom the desk of person %d.\r\n",
		i, i, date.Format(time.RFC1123Z), i, i)
}

func reportMail(i int, date time.Time) []byte {
	domain := fmt.Sprintf("d%d.example.net", i%500)
	report := fmt.Sprintf(`{"organization-name":"Example Sender","date-range":{"start-datetime":"%s","end-datetime":"%s"},"contact-info":"tlsrpt@sender.example.com","report-id":"gen-%d","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx.%s","max_age: 86400"],"policy-domain":"%s"},"summary":{"total-successful-session-count":%d,"total-failure-session-count":%d}}]}`,
		date.Add(-24*time.Hour).UTC().Format(time.RFC3339), date.UTC().Format(time.RFC3339), i, domain, domain, 100+i%50, i%3)
	encoded := base64.StdEncoding.EncodeToString([]byte(report))
	var body strings.Builder
	for len(encoded) > 76 {
		body.WriteString(encoded[:76] + "\r\n")
		encoded = encoded[76:]
	}
	body.WriteString(encoded + "\r\n")

	return fmt.Appendf(nil, "Return-Path: <tlsrpt@sender.example.com>\r\n"+
		"From: tlsrpt@sender.example.com\r\n"+
		"To: tlsrpt@%[1]s\r\n"+
		"Subject: Report Domain: %[1]s Submitter: sender.example.com Report-ID: <gen-%[2]d@sender.example.com>\r\n"+
		"Date: %[3]s\r\n"+
		"Message-ID: <gen-%[2]d@sender.example.com>\r\n"+
		"TLS-Report-Domain: %[1]s\r\n"+
		"TLS-Report-Submitter: sender.example.com\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b%[2]d\"\r\n"+
		"\r\n"+
		"--b%[2]d\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is an aggregate TLS report from sender.example.com.\r\nFrom here on the report is attached.\r\n\r\n"+
		"--b%[2]d\r\nContent-Type: application/tlsrpt+json\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"sender.example.com!%[1]s!%[4]d!%[5]d.json\"\r\n\r\n%[6]s"+
		"--b%[2]d--\r\n",
		domain, i, date.Format(time.RFC1123Z), date.Add(-24*time.Hour).Unix(), date.Unix(), body.String())
}
