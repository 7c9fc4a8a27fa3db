package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/tlsrpt/tlsrpt/internal/mailmsg"
	"github.com/tlsrpt/tlsrpt/internal/payload"
	"github.com/tlsrpt/tlsrpt/internal/report"
)

// Warning codes for deviations of the carrier, added to the warnings that
// report.Parse records for the report itself.
const (
	WarnMediaType = "unexpected-media-type"
)

func process(u unit, opts Options) *Result {
	res := &Result{Input: u.input, Message: u.number, Postmark: u.postmark, Spilled: u.spilled}
	if u.isMail && opts.KeepRaw {
		res.Raw = u.data
	}
	switch {
	case u.ioErr != nil:
		res.IOErr = &Error{Input: u.input, Message: u.number, Err: u.ioErr}
		return res
	case u.err != nil:
		res.Errors = append(res.Errors, &Error{Input: u.input, Message: u.number, Err: u.err})
		return res
	case u.isMail:
		processMessage(res, u.data, opts)
	default:
		processPayload(res, u.data, opts)
	}
	if opts.Encode && len(res.Reports) > 0 {
		// A normalised line is about as long as the compact report plus
		// its _source and _warnings, so one allocation usually suffices.
		res.Lines = make([]byte, 0, res.reportBytes+len(res.Reports)*1024)
		for _, r := range res.Reports {
			res.Lines = r.AppendJSON(res.Lines)
			res.Lines = append(res.Lines, '\n')
		}
	}
	return res
}

// processPayload handles an input that is a JSON, gzip or zip file.
func processPayload(res *Result, data []byte, opts Options) {
	docs, err := payload.Decode(data, opts.MaxReportSize)
	if err != nil {
		res.Errors = append(res.Errors, &Error{Input: res.Input, Err: withSizeHint(err)})
		return
	}
	for _, doc := range docs {
		src := report.Source{Input: res.Input, Filename: doc.Filename}
		if src.Filename == "" {
			src.Filename = path.Base(res.Input)
			if res.Input == "-" {
				src.Filename = ""
			}
		}
		r, err := parseDocument(doc, src, nil)
		if err != nil {
			res.Errors = append(res.Errors, &Error{Input: res.Input, Err: withMember(err, doc.Filename)})
			continue
		}
		res.Reports = append(res.Reports, r)
		res.reportBytes += len(doc.Data)
	}
}

func withMember(err error, member string) error {
	if member == "" {
		return err
	}
	return fmt.Errorf("zip member %q: %w", member, err)
}

// processMessage finds the reports in one RFC 5322 message.
func processMessage(res *Result, data []byte, opts Options) {
	msg, err := mailmsg.Parse(data, mailmsg.Options{MaxDepth: opts.MaxDepth, MaxPartSize: opts.MaxMessageSize})
	if err != nil {
		res.Errors = append(res.Errors, &Error{Input: res.Input, Message: res.Message, Err: err})
		return
	}
	res.MessageID = msg.MessageID
	res.Subject = msg.Subject

	fail := func(part string, err error) {
		res.Errors = append(res.Errors, &Error{
			Input: res.Input, Message: res.Message, MessageID: msg.MessageID, Part: part, Err: err,
		})
	}

	carrier := carrierWarnings(msg.Notes)
	for i := range msg.Parts {
		// Only this iteration keeps the part's bytes, so that a large
		// part, which may share the message's buffer, can be collected
		// once its reports are parsed into their own copy.
		part := msg.Parts[i]
		msg.Parts[i].Data = nil
		kind := payload.Sniff(part.Data)
		if part.Err != nil {
			if kind != payload.Unknown || claimsReport(part) {
				fail(part.Path, part.Err)
			}
			continue
		}
		if kind == payload.Unknown && !claimsReport(part) {
			// An image, a signature or a delivery status: not a report,
			// and not an error either.
			continue
		}

		// -max-report-size bounds the reports of one message together,
		// so that memory does not grow with the number of parts.
		remaining := opts.MaxReportSize - int64(res.reportBytes)
		if remaining <= 0 {
			fail(part.Path, describePart(part, withSizeHint(payload.TotalTooLarge(opts.MaxReportSize, "message"))))
			continue
		}
		docs, err := payload.Decode(part.Data, remaining)
		if errors.Is(err, payload.ErrTooLarge) && remaining < opts.MaxReportSize {
			err = payload.TotalTooLarge(opts.MaxReportSize, "message")
		}
		if err != nil {
			fail(part.Path, describePart(part, withSizeHint(err)))
			continue
		}
		for _, doc := range docs {
			src := report.Source{
				Input:        res.Input,
				Message:      res.Message,
				MessageID:    msg.MessageID,
				Part:         part.Path,
				Filename:     part.Filename,
				ReportDomain: msg.ReportDomain,
			}
			if doc.Filename != "" {
				src.Filename = doc.Filename
			}
			warnings := append([]report.Warning(nil), carrier...)
			if w, ok := mediaTypeWarning(part, doc.Kind); ok {
				warnings = append(warnings, w)
			}
			r, err := parseDocument(doc, src, warnings)
			if err != nil {
				fail(part.Path, describePart(part, withMember(err, doc.Filename)))
				continue
			}
			res.Reports = append(res.Reports, r)
			res.reportBytes += len(doc.Data)
		}
	}

	if len(res.Reports) == 0 && len(res.Errors) == 0 {
		if msg.ReportDomain != "" {
			// RFC 8460 section 5.3 requires the header in report mails,
			// so a mail with it and without a report lost its report.
			fail("", ErrReportMissing)
			return
		}
		res.Skipped = true
	}
}

// withSizeHint adds to err how to read a report over the size limit.
func withSizeHint(err error) error {
	if errors.Is(err, payload.ErrTooLarge) {
		return fmt.Errorf("%w; raise -max-report-size to read it", err)
	}
	return err
}

// describePart adds the part's media type and name to err.
func describePart(part mailmsg.Part, err error) error {
	label := part.ContentType
	if label == "" {
		label = "no Content-Type"
	}
	if part.Filename != "" {
		return fmt.Errorf("%s %q: %w", label, part.Filename, err)
	}
	return fmt.Errorf("%s: %w", label, err)
}

// parseDocument parses one JSON document and records where it came from
// and what the carrier bent.
func parseDocument(doc payload.Document, src report.Source, warnings []report.Warning) (*report.Report, error) {
	r, err := report.Parse(doc.Data, report.Hints{ReportDomain: src.ReportDomain, Filename: src.Filename})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(doc.Data)
	src.SHA256 = hex.EncodeToString(sum[:])
	r.Source = &src

	for _, n := range doc.Notes {
		warnings = append(warnings, report.Warning{Code: n.Code, Message: n.Message})
	}
	if len(warnings) > 0 {
		r.Warnings = append(warnings, r.Warnings...)
	}
	return r, nil
}

func carrierWarnings(notes []mailmsg.Note) []report.Warning {
	var out []report.Warning
	for _, n := range notes {
		msg := n.Message
		if n.Path != "" {
			msg = "MIME part " + n.Path + ": " + msg
		}
		out = append(out, report.Warning{Code: n.Code, Message: msg})
	}
	return out
}

// Media types by the payload format they announce. RFC 8460 section 5.3
// registers application/tlsrpt+gzip and application/tlsrpt+json; the
// others are what real senders and forwarding clients write.
var mediaTypeKinds = map[string]payload.Kind{
	"application/tlsrpt+gzip":      payload.Gzip,
	"application/gzip":             payload.Gzip,
	"application/x-gzip":           payload.Gzip,
	"application/tlsrpt+json":      payload.JSON,
	"application/tlsrpt":           payload.JSON,
	"application/json":             payload.JSON,
	"application/zip":              payload.Zip,
	"application/x-zip-compressed": payload.Zip,
	"application/octet-stream":     payload.Unknown,
	"":                             payload.Unknown,
}

// claimsReport reports whether a part's media type or file name names a
// report. Such a part without a report in it is an error, while any other
// part without one is ignored.
func claimsReport(part mailmsg.Part) bool {
	if strings.HasPrefix(part.ContentType, "application/tlsrpt") {
		return true
	}
	if _, ok := mediaTypeKinds[part.ContentType]; ok && part.ContentType != "" {
		return true
	}
	return mailmsg.NamesReport(part.Filename)
}

// mediaTypeWarning returns a warning when the part's media type is not
// the one RFC 8460 section 5.3 gives for what the part holds.
func mediaTypeWarning(part mailmsg.Part, kind payload.Kind) (report.Warning, bool) {
	want := map[payload.Kind]string{
		payload.Gzip: "application/tlsrpt+gzip",
		payload.JSON: "application/tlsrpt+json",
	}[kind]
	if part.ContentType == want {
		return report.Warning{}, false
	}
	label := part.ContentType
	if label == "" {
		label = "no Content-Type"
	}
	msg := fmt.Sprintf("MIME part %s is labelled %s but holds %s data", part.Path, label, kind)
	if want != "" {
		msg += "; RFC 8460 section 5.3 expects " + want
	}
	return report.Warning{Code: WarnMediaType, Message: msg}, true
}
