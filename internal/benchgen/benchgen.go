// Package benchgen writes an mbox of synthetic SMTP TLS report mails shaped
// like the ones Google and Microsoft send. Each is a multipart/report with
// a short text part and a base64 application/tlsrpt+gzip attachment. The
// report holds 1 to 50 policies, and its failure details draw on every
// registered result-type. The output depends only on the seed, so
// benchmark runs are comparable.
package benchgen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

// resultTypes are the result types of RFC 8460 section 6.6.
var resultTypes = []string{
	"starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
	"certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
	"dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
}

var senders = []struct{ org, contact, from string }{
	{"Google Inc.", "smtp-tls-reporting@google.com", "noreply-smtp-tls-reporting@google.com"},
	{"Microsoft Corporation", "tlsrpt-noreply@microsoft.com", "tlsrpt-noreply@microsoft.com"},
	{"Mail.ru", "tls_support@corp.mail.ru", "noreply-smtp-tls-reporting@corp.mail.ru"},
}

// Generator writes report mails.
type Generator struct {
	rng   *rand.Rand
	start time.Time
	gz    *gzip.Writer
	buf   bytes.Buffer
}

// New returns a generator whose output depends only on seed.
func New(seed uint64) *Generator {
	return &Generator{
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// WriteMbox writes n messages to w as an mboxrd stream.
func (g *Generator) WriteMbox(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	mw := mbox.NewWriter(bw)
	for i := 1; i <= n; i++ {
		msg, date, from, err := g.Message(i)
		if err != nil {
			return err
		}
		if err := mw.WriteMessage(mbox.Postmark(from, date), msg); err != nil {
			return err
		}
	}
	if err := mw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// Message returns the i-th report mail, its date and its sender address.
func (g *Generator) Message(i int) ([]byte, time.Time, string, error) {
	sender := senders[g.rng.IntN(len(senders))]
	domain := fmt.Sprintf("example%d.net", g.rng.IntN(5000))
	day := g.start.AddDate(0, 0, g.rng.IntN(365))
	reportID := fmt.Sprintf("%s_%d+%s", day.Format("2006-01-02T15:04:05Z"), i, domain)

	doc := g.report(sender.org, sender.contact, reportID, domain, day)
	compressed, err := g.compress(doc)
	if err != nil {
		return nil, time.Time{}, "", err
	}

	sent := day.Add(26*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second)
	filename := fmt.Sprintf("%s!%s!%d!%d!%03d.json.gz", "google.com", domain, day.Unix(), day.Add(24*time.Hour-time.Second).Unix(), 1)
	boundary := fmt.Sprintf("%016x%08x", g.rng.Uint64(), i)

	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\n", sender.from)
	fmt.Fprintf(&b, "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])\n\tby mx.%s with ESMTPS id %x\n\tfor <tlsrpt@%s>; %s\n",
		domain, g.rng.Uint32(), domain, sent.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Date: %s\n", sent.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s <%s>\n", sender.org, sender.from)
	fmt.Fprintf(&b, "To: tlsrpt@%s\n", domain)
	fmt.Fprintf(&b, "Subject: Report Domain: %s\n Submitter: %s\n Report-ID: <%s>\n", domain, "google.com", reportID)
	fmt.Fprintf(&b, "Message-ID: <%016x.%d@reports.example>\n", g.rng.Uint64(), i)
	fmt.Fprintf(&b, "TLS-Report-Domain: %s\nTLS-Report-Submitter: google.com\n", domain)
	b.WriteString("MIME-Version: 1.0\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; boundary=\"%s\"; report-type=tlsrpt\n\n", boundary)
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=\"UTF-8\"; format=flowed; delsp=yes\n\n", boundary)
	fmt.Fprintf(&b, "This is an aggregate TLS report from %s\n\n", sender.org)
	fmt.Fprintf(&b, "--%s\nContent-Type: application/tlsrpt+gzip; name=\"%s\"\n", boundary, filename)
	fmt.Fprintf(&b, "Content-Disposition: attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n", filename)
	writeBase64Lines(&b, compressed)
	fmt.Fprintf(&b, "--%s--\n", boundary)
	return b.Bytes(), sent, sender.from, nil
}

func writeBase64Lines(b *bytes.Buffer, data []byte) {
	encoded := base64.StdEncoding.EncodeToString(data)
	for len(encoded) > 76 {
		b.WriteString(encoded[:76])
		b.WriteByte('\n')
		encoded = encoded[76:]
	}
	b.WriteString(encoded)
	b.WriteByte('\n')
}

func (g *Generator) compress(doc []byte) ([]byte, error) {
	g.buf.Reset()
	if g.gz == nil {
		g.gz = gzip.NewWriter(&g.buf)
	} else {
		g.gz.Reset(&g.buf)
	}
	if _, err := g.gz.Write(doc); err != nil {
		return nil, err
	}
	if err := g.gz.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(g.buf.Bytes()), nil
}

type reportJSON struct {
	Org      string            `json:"organization-name"`
	Range    map[string]string `json:"date-range"`
	Contact  string            `json:"contact-info"`
	ReportID string            `json:"report-id"`
	Policies []policyJSON      `json:"policies"`
}

type policyJSON struct {
	Policy struct {
		Type    string   `json:"policy-type"`
		Strings []string `json:"policy-string,omitempty"`
		Domain  string   `json:"policy-domain"`
		MXHost  []string `json:"mx-host,omitempty"`
	} `json:"policy"`
	Summary struct {
		Successful int `json:"total-successful-session-count"`
		Failed     int `json:"total-failure-session-count"`
	} `json:"summary"`
	FailureDetails []failureJSON `json:"failure-details,omitempty"`
}

type failureJSON struct {
	ResultType         string `json:"result-type"`
	SendingMTAIP       string `json:"sending-mta-ip,omitempty"`
	ReceivingMXHost    string `json:"receiving-mx-hostname,omitempty"`
	ReceivingIP        string `json:"receiving-ip,omitempty"`
	FailedSessionCount int    `json:"failed-session-count"`
	FailureReasonCode  string `json:"failure-reason-code,omitempty"`
}

// report returns a compact JSON report with 1 to 50 policies. Most
// policies succeed; about one in four has failure details, and the
// result-types cycle through the whole registry.
func (g *Generator) report(org, contact, reportID, domain string, day time.Time) []byte {
	n := 1 + g.rng.IntN(50)
	policies := make([]policyJSON, n)
	for i := range policies {
		p := &policies[i]
		policyDomain := domain
		if i > 0 {
			policyDomain = fmt.Sprintf("sub%d.%s", i, domain)
		}
		p.Policy.Domain = policyDomain
		switch g.rng.IntN(3) {
		case 0:
			p.Policy.Type = "sts"
			p.Policy.Strings = []string{"version: STSv1", "mode: enforce", "mx: mx1." + policyDomain, "max_age: 604800"}
			p.Policy.MXHost = []string{"mx1." + policyDomain}
		case 1:
			p.Policy.Type = "tlsa"
			p.Policy.Strings = []string{"3 1 1 " + fmt.Sprintf("%064x", g.rng.Uint64())}
		default:
			p.Policy.Type = "no-policy-found"
		}
		p.Summary.Successful = g.rng.IntN(5000)
		if g.rng.IntN(4) == 0 {
			for k := 0; k < 1+g.rng.IntN(3); k++ {
				count := 1 + g.rng.IntN(20)
				p.FailureDetails = append(p.FailureDetails, failureJSON{
					ResultType:         resultTypes[g.rng.IntN(len(resultTypes))],
					SendingMTAIP:       fmt.Sprintf("209.85.%d.%d", g.rng.IntN(256), g.rng.IntN(256)),
					ReceivingMXHost:    "mx1." + policyDomain,
					ReceivingIP:        fmt.Sprintf("192.0.2.%d", g.rng.IntN(256)),
					FailedSessionCount: count,
					FailureReasonCode:  "450 4.7.0",
				})
				p.Summary.Failed += count
			}
		}
	}

	doc := reportJSON{
		Org: org,
		Range: map[string]string{
			"start-datetime": day.Format(time.RFC3339),
			"end-datetime":   day.Add(24*time.Hour - time.Second).Format(time.RFC3339),
		},
		Contact:  contact,
		ReportID: reportID,
		Policies: policies,
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err) // the struct holds only strings, ints and maps of strings
	}
	return out
}

// LargeMessages returns report mails at the size limits of tlsrpt-extract,
// to measure its peak memory on the largest input it accepts:
//   - a gzip attachment that decompresses to just under maxReport bytes;
//   - a 7bit JSON part of just under maxReport bytes;
//   - a base64 JSON part as large as fits in maxMessage bytes;
//   - twelve gzip attachments that each decompress to maxReport bytes;
//   - a base64 part of random bytes just under maxMessage bytes.
func (g *Generator) LargeMessages(maxMessage, maxReport int) ([][]byte, error) {
	const slack = 4 << 10 // headers and boundaries
	big := g.largeReport(maxReport - slack)
	compressed, err := g.compress(big)
	if err != nil {
		return nil, err
	}
	// Base64 takes 77 bytes, a 76-character line and its newline, for
	// every 57 bytes of data.
	base64Fit := (maxMessage - slack) / 77 * 57
	fitting := g.largeReport(min(maxReport, base64Fit) - slack)

	junk := make([]byte, base64Fit)
	for i := range junk {
		junk[i] = byte(g.rng.Uint32())
	}

	type part struct {
		contentType, encoding string
		data                  []byte
	}
	gzipPart := part{"application/tlsrpt+gzip", "base64", compressed}
	messages := [][]part{
		{gzipPart},
		{{"application/tlsrpt+json", "7bit", big}},
		{{"application/tlsrpt+json", "base64", fitting}},
		{gzipPart, gzipPart, gzipPart, gzipPart, gzipPart, gzipPart, gzipPart, gzipPart, gzipPart, gzipPart, gzipPart, gzipPart},
		{{"application/octet-stream", "base64", junk}},
	}
	var out [][]byte
	for i, parts := range messages {
		var b bytes.Buffer
		fmt.Fprintf(&b, "From: Large Reporter <noreply@large.example>\nTo: tlsrpt@example.net\n")
		fmt.Fprintf(&b, "Subject: Report Domain: example.net Submitter: large.example Report-ID: <large-%d>\n", i+1)
		fmt.Fprintf(&b, "Message-ID: <large-%d@large.example>\nTLS-Report-Domain: example.net\nMIME-Version: 1.0\n", i+1)
		b.WriteString("Content-Type: multipart/report; boundary=\"b\"; report-type=tlsrpt\n\n--b\nContent-Type: text/plain\n\nA large report.\n")
		for k, p := range parts {
			fmt.Fprintf(&b, "--b\nContent-Type: %s; name=\"r%d.json\"\nContent-Transfer-Encoding: %s\n\n", p.contentType, k+1, p.encoding)
			if p.encoding == "base64" {
				writeBase64Lines(&b, p.data)
			} else {
				b.Write(p.data)
				b.WriteByte('\n')
			}
		}
		b.WriteString("--b--\n")
		out = append(out, b.Bytes())
	}
	return out, nil
}

// largeReport returns a report of about size bytes: one policy with as
// many failure details as fit.
func (g *Generator) largeReport(size int) []byte {
	detail := func(i int) failureJSON {
		return failureJSON{
			ResultType:         "certificate-expired", // one type, so every detail has the same length
			SendingMTAIP:       fmt.Sprintf("203.0.113.%d", 100+i%100),
			ReceivingMXHost:    fmt.Sprintf("mx%08d.example.net", i),
			ReceivingIP:        fmt.Sprintf("192.0.2.%d", 100+i%100),
			FailedSessionCount: 1,
			FailureReasonCode:  "450 4.7.0",
		}
	}
	sample, err := json.Marshal(detail(0))
	if err != nil {
		panic(err) // the struct holds only strings and ints
	}

	var p policyJSON
	p.Policy.Type = "sts"
	p.Policy.Domain = "example.net"
	p.Policy.Strings = []string{"version: STSv1", "mode: enforce", "mx: *.example.net", "max_age: 604800"}
	for i := range max(1, size/(len(sample)+1)) {
		p.FailureDetails = append(p.FailureDetails, detail(i))
	}
	p.Summary.Failed = len(p.FailureDetails)

	doc := reportJSON{
		Org:      "Large Reporter",
		Range:    map[string]string{"start-datetime": "2026-03-01T00:00:00Z", "end-datetime": "2026-03-01T23:59:59Z"},
		Contact:  "tlsrpt@large.example",
		ReportID: fmt.Sprintf("large-%d", size),
		Policies: []policyJSON{p},
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return out
}
