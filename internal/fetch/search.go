package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/textproto"
)

// reportDomainHeader is the header field RFC 8460 section 5.3 requires in
// every report mail.
const reportDomainHeader = "TLS-Report-Domain"

// subjectMarker is the part of the subject RFC 8460 section 5.3 suggests
// ("Report Domain: example.net Submitter: ...").
const subjectMarker = "Report Domain:"

// Query selects messages.
type Query struct {
	Filter   Filter
	Since    time.Time // internal date on or after this day; zero for no limit
	AfterUID imap.UID  // only messages with a higher UID
}

// headerBatch is the number of header blocks one UID FETCH requests when
// the filter runs on the client.
const headerBatch = 500

// Search returns the UIDs, ascending, of the messages that match q. When
// the server rejects the search key of the filter (some reject HEADER or
// any CHARSET), Search fetches the headers and filters on the client, and
// logs a warning saying so.
func (s *Session) Search(ctx context.Context, q Query) ([]imap.UID, error) {
	base := imap.SearchCriteria{Since: q.Since}
	if q.AfterUID > 0 {
		base.UID = []imap.UIDSet{{imap.UIDRange{Start: q.AfterUID + 1, Stop: 0}}}
	}

	criteria := base
	switch q.Filter {
	case FilterHeader:
		// RFC 3501 section 6.4.4: HEADER with an empty string matches
		// every message that has the field.
		criteria.Header = []imap.SearchCriteriaHeaderField{{Key: reportDomainHeader, Value: ""}}
	case FilterSubject:
		criteria.Header = []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: subjectMarker}}
	case FilterAll:
	default:
		return nil, fmt.Errorf("invalid filter %q: use header, subject or all", q.Filter)
	}

	uids, err := s.uidSearch(&criteria, q.AfterUID)
	var imapErr *imap.Error
	if err == nil || q.Filter == FilterAll || !errors.As(err, &imapErr) {
		return uids, err
	}

	s.logger.Warn("the server rejected the search, so the filter runs on the client from the message headers",
		"server", s.addr, "filter", string(q.Filter), "error", imapErr.Error())
	candidates, err := s.uidSearch(&base, q.AfterUID)
	if err != nil {
		return nil, err
	}
	return s.filterHeaders(ctx, candidates, q.Filter)
}

func (s *Session) uidSearch(criteria *imap.SearchCriteria, afterUID imap.UID) ([]imap.UID, error) {
	data, err := s.client.UIDSearch(criteria, nil).Wait()
	if err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			return nil, fmt.Errorf("search mailbox %q on %s: %w", s.opts.Mailbox, s.addr, wrapResponse(err))
		}
		return nil, fmt.Errorf("%w: search mailbox %q on %s: %w", ErrDropped, s.opts.Mailbox, s.addr, err)
	}
	uids := data.AllUIDs()
	// RFC 3501 section 6.4.8: "n:*" also matches the highest UID when it
	// is lower than n, so drop what is not newer.
	uids = slices.DeleteFunc(uids, func(uid imap.UID) bool { return uid <= afterUID })
	slices.Sort(uids)
	return uids, nil
}

func (s *Session) filterHeaders(ctx context.Context, candidates []imap.UID, filter Filter) ([]imap.UID, error) {
	section := &imap.FetchItemBodySection{
		Specifier:    imap.PartSpecifierHeader,
		HeaderFields: []string{reportDomainHeader, "Subject"},
		Peek:         true,
	}
	var matched []imap.UID
	for start := 0; start < len(candidates); start += headerBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := candidates[start:min(start+headerBatch, len(candidates))]
		cmd := s.client.Fetch(imap.UIDSetNum(batch...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
		for {
			msg := cmd.Next()
			if msg == nil {
				break
			}
			buf, err := msg.Collect()
			if err != nil {
				cmd.Close()
				return nil, fmt.Errorf("%w: fetch headers from %s: %w", ErrDropped, s.addr, err)
			}
			header := buf.FindBodySection(section)
			if header != nil && headerMatches(header, filter) {
				matched = append(matched, buf.UID)
			}
		}
		if err := cmd.Close(); err != nil {
			return nil, s.commandError("fetch headers", err, "the server rejected BODY.PEEK[HEADER.FIELDS]")
		}
	}
	slices.Sort(matched)
	return matched, nil
}

// headerMatches applies filter to a header block on the client, the way
// the server would: a present TLS-Report-Domain field, or a subject that
// contains "Report Domain:" ignoring case after RFC 2047 decoding.
func headerMatches(block []byte, filter Filter) bool {
	header, err := textproto.ReadHeader(bufio.NewReader(io.MultiReader(bytes.NewReader(block), strings.NewReader("\r\n"))))
	if err != nil {
		return false
	}
	switch filter {
	case FilterHeader:
		return header.Has(reportDomainHeader)
	case FilterSubject:
		subject := header.Get("Subject")
		if decoded, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
			subject = decoded
		}
		return strings.Contains(strings.ToLower(subject), strings.ToLower(subjectMarker))
	default:
		return true
	}
}
