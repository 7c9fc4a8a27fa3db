package summary

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

// Period selects reports by their date range. It is the half-open interval
// [Since, Until); a zero bound leaves that side open.
//
// A report is in the period when its covered range (see CoveredRange)
// overlaps the interval. A daily report from 2024-09-15T00:00:00Z to
// 2024-09-16T00:00:00Z is therefore in "-since 2024-09-15 -until
// 2024-09-15" and not in "-since 2024-09-16", whichever way the sender
// wrote its end.
type Period struct {
	Since time.Time
	Until time.Time
}

// Contains reports whether a report with the given date range is in the
// period. A report whose range is empty (start equals end) is in the
// period when its start is.
func (p Period) Contains(start, end time.Time) bool {
	start, end = CoveredRange(start, end)
	if !p.Until.IsZero() && !start.Before(p.Until) {
		return false
	}
	if !p.Since.IsZero() && !end.After(p.Since) && start.Before(p.Since) {
		return false
	}
	return true
}

// CoveredRange returns the half-open interval [start, end) a report
// covers, in UTC. RFC 8460 section 4.4 does not say whether end-datetime
// is inclusive: Google writes the last second of the day (23:59:59Z),
// Mail.ru and Microsoft the next midnight. An end at 23:59:59, with any
// fraction of a second, is moved to the next midnight so both read alike.
func CoveredRange(start, end time.Time) (time.Time, time.Time) {
	start, end = start.UTC(), end.UTC()
	if end.Hour() == 23 && end.Minute() == 59 && end.Second() == 59 {
		end = end.Truncate(time.Second).Add(time.Second)
	}
	return start, end
}

// ReportDays returns the first and the last UTC day a report covers, as
// "2006-01-02". A report belongs to the day of its start; the last day is
// the day of the last instant before its covered end.
func ReportDays(start, end time.Time) (string, string) {
	start, end = CoveredRange(start, end)
	first := start.Format(time.DateOnly)
	if !end.After(start) {
		return first, first
	}
	return first, end.Add(-time.Nanosecond).Format(time.DateOnly)
}

// ErrInvalidBound marks a -since or -until value that ParseBound cannot read.
var ErrInvalidBound = errors.New("want a date (YYYY-MM-DD), an RFC 3339 time or a duration such as 7d or 24h")

// ParseBound reads a -since or -until value relative to now:
//
//   - a date "2006-01-02" is midnight UTC at the start of that day for
//     -since, and midnight at its end for -until, so the day is included;
//   - an RFC 3339 time is that instant;
//   - a duration ("7d", "36h", "90m", "1d12h") is that long before now;
//     "d" is 24 hours.
//
// The bound is returned in UTC and in whole seconds (see wholeSecond).
func ParseBound(value string, now time.Time, isUntil bool) (time.Time, error) {
	value = strings.TrimSpace(value)
	if day, err := time.ParseInLocation(time.DateOnly, value, time.UTC); err == nil {
		if isUntil {
			return day.AddDate(0, 0, 1), nil
		}
		return day, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, value); err == nil {
		return wholeSecond(t.UTC(), isUntil), nil
	}
	d, err := cli.ParseDuration(value)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid value %q: %w", value, ErrInvalidBound)
	}
	return wholeSecond(now.UTC().Add(-d), isUntil), nil
}

// wholeSecond rounds a bound outward to a whole second: -since down and
// -until up. Reports usually give their date range in whole seconds, and
// for those the period selects the same reports as the exact bound.
func wholeSecond(t time.Time, isUntil bool) time.Time {
	whole := t.Truncate(time.Second)
	if isUntil && whole.Before(t) {
		whole = whole.Add(time.Second)
	}
	return whole
}
