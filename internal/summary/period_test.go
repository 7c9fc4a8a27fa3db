package summary

import (
	"errors"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseBound(t *testing.T) {
	now := time.Date(2024, 9, 20, 6, 30, 0, 0, time.UTC)
	tests := []struct {
		value   string
		isUntil bool
		want    string
	}{
		{"2024-09-15", false, "2024-09-15T00:00:00Z"},
		{"2024-09-15", true, "2024-09-16T00:00:00Z"}, // the whole day is included
		{"2024-12-31", true, "2025-01-01T00:00:00Z"},
		{"2024-09-15T12:00:00Z", false, "2024-09-15T12:00:00Z"},
		{"2024-09-15T12:00:00Z", true, "2024-09-15T12:00:00Z"},
		{"2024-09-15T14:00:00+02:00", false, "2024-09-15T12:00:00Z"},
		{"7d", false, "2024-09-13T06:30:00Z"},
		{"24h", false, "2024-09-19T06:30:00Z"},
		{"24h", true, "2024-09-19T06:30:00Z"},
		{"1d12h", false, "2024-09-18T18:30:00Z"},
		{"90m", false, "2024-09-20T05:00:00Z"},
		{" 2d ", false, "2024-09-18T06:30:00Z"},
		{"2024-09-15T12:00:00.25Z", false, "2024-09-15T12:00:00Z"}, // a fraction is rounded outward
		{"2024-09-15T12:00:00.25Z", true, "2024-09-15T12:00:01Z"},
	}
	for _, tt := range tests {
		got, err := ParseBound(tt.value, now, tt.isUntil)
		if err != nil {
			t.Errorf("ParseBound(%q, until=%v): %v", tt.value, tt.isUntil, err)
			continue
		}
		if want := mustTime(t, tt.want); !got.Equal(want) {
			t.Errorf("ParseBound(%q, until=%v) = %s, want %s", tt.value, tt.isUntil, got.Format(time.RFC3339), tt.want)
		}
	}
}

// TestParseBoundWholeSeconds reads durations against a clock with a
// fraction of a second, as time.Now has.
func TestParseBoundWholeSeconds(t *testing.T) {
	now := time.Date(2026, 11, 28, 22, 4, 47, 103667386, time.UTC)
	tests := []struct {
		value   string
		isUntil bool
		want    string
	}{
		{"24h", false, "2026-11-27T22:04:47Z"},
		{"24h", true, "2026-11-27T22:04:48Z"},
		{"7d", false, "2026-11-21T22:04:47Z"},
	}
	for _, tt := range tests {
		got, err := ParseBound(tt.value, now, tt.isUntil)
		if err != nil {
			t.Errorf("ParseBound(%q, until=%v): %v", tt.value, tt.isUntil, err)
			continue
		}
		if text := got.Format(time.RFC3339Nano); text != tt.want {
			t.Errorf("ParseBound(%q, until=%v) = %s, want %s", tt.value, tt.isUntil, text, tt.want)
		}
	}
}

func TestParseBoundInvalid(t *testing.T) {
	now := time.Date(2024, 9, 20, 6, 30, 0, 0, time.UTC)
	for _, value := range []string{"", "yesterday", "-7d", "0d", "0s", "-24h", "1d-30h", "2024-13-01", "2024-09-15T12:00:00", "7 days", "d"} {
		if got, err := ParseBound(value, now, false); !errors.Is(err, ErrInvalidBound) {
			t.Errorf("ParseBound(%q) = %v, %v; want ErrInvalidBound", value, got, err)
		}
	}
}

func TestPeriodContains(t *testing.T) {
	// Google ends a daily report at 23:59:59Z, Mail.ru and Microsoft at the
	// next midnight: both cover 2024-09-15 only.
	google := [2]string{"2024-09-15T00:00:00Z", "2024-09-15T23:59:59Z"}
	mailru := [2]string{"2024-09-15T00:00:00Z", "2024-09-16T00:00:00Z"}
	fraction := [2]string{"2024-09-15T00:00:00Z", "2024-09-15T23:59:59.999Z"}
	week := [2]string{"2020-01-01T00:00:00Z", "2020-01-07T23:59:59Z"}
	empty := [2]string{"2024-09-15T00:00:00Z", "2024-09-15T00:00:00Z"}

	tests := []struct {
		name         string
		report       [2]string
		since, until string // RFC 3339, "" for open
		want         bool
	}{
		{"open period", google, "", "", true},
		{"23:59:59 since its day", google, "2024-09-15T00:00:00Z", "", true},
		{"midnight since its day", mailru, "2024-09-15T00:00:00Z", "", true},
		{"23:59:59 since next day", google, "2024-09-16T00:00:00Z", "", false},
		{"midnight since next day", mailru, "2024-09-16T00:00:00Z", "", false},
		{"fraction since next day", fraction, "2024-09-16T00:00:00Z", "", false},
		{"23:59:59 since its last second", google, "2024-09-15T23:59:59Z", "", true},
		{"midnight since its last second", mailru, "2024-09-15T23:59:59Z", "", true},
		{"23:59:59 until its day end", google, "", "2024-09-16T00:00:00Z", true},
		{"midnight until its day end", mailru, "", "2024-09-16T00:00:00Z", true},
		{"23:59:59 until its start", google, "", "2024-09-15T00:00:00Z", false},
		{"midnight until its start", mailru, "", "2024-09-15T00:00:00Z", false},
		{"until one second in", mailru, "", "2024-09-15T00:00:01Z", true},
		{"since mid-day overlaps", mailru, "2024-09-15T06:30:00Z", "", true},
		{"week since its last day", week, "2020-01-07T00:00:00Z", "", true},
		{"week since the day after", week, "2020-01-08T00:00:00Z", "", false},
		{"week until its second day", week, "", "2020-01-02T00:00:00Z", true},
		{"empty range at since", empty, "2024-09-15T00:00:00Z", "", true},
		{"empty range before since", empty, "2024-09-15T00:00:01Z", "", false},
		{"empty range at until", empty, "", "2024-09-15T00:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Period
			if tt.since != "" {
				p.Since = mustTime(t, tt.since)
			}
			if tt.until != "" {
				p.Until = mustTime(t, tt.until)
			}
			start, end := mustTime(t, tt.report[0]), mustTime(t, tt.report[1])
			if got := p.Contains(start, end); got != tt.want {
				t.Errorf("Contains(%s, %s) in [%s, %s) = %v, want %v", tt.report[0], tt.report[1], tt.since, tt.until, got, tt.want)
			}
		})
	}
}

func TestReportDays(t *testing.T) {
	tests := []struct {
		start, end  string
		first, last string
	}{
		{"2024-09-15T00:00:00Z", "2024-09-15T23:59:59Z", "2024-09-15", "2024-09-15"},
		{"2024-09-15T00:00:00Z", "2024-09-16T00:00:00Z", "2024-09-15", "2024-09-15"},
		{"2024-09-15T00:00:00Z", "2024-09-15T00:00:00Z", "2024-09-15", "2024-09-15"},
		{"2020-01-01T00:00:00Z", "2020-01-07T23:59:59Z", "2020-01-01", "2020-01-07"},
		{"2024-09-15T08:00:00Z", "2024-09-16T08:00:00Z", "2024-09-15", "2024-09-16"},
		{"2024-09-15T22:00:00-04:00", "2024-09-16T22:00:00-04:00", "2024-09-16", "2024-09-17"},
	}
	for _, tt := range tests {
		first, last := ReportDays(mustTime(t, tt.start), mustTime(t, tt.end))
		if first != tt.first || last != tt.last {
			t.Errorf("ReportDays(%s, %s) = %s, %s; want %s, %s", tt.start, tt.end, first, last, tt.first, tt.last)
		}
	}
}
