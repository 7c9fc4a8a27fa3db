package summary

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

func TestFormatRate(t *testing.T) {
	tests := []struct {
		successful, failed int64
		want               string
	}{
		{0, 0, "0.00%"},
		{10, 0, "0.00%"},
		{0, 3, "100.00%"},
		{3, 1, "25.00%"},
		{4523, 2, "0.04%"},
		{999_999, 1, "<0.01%"},
		{19_999, 1, "0.01%"},
	}
	for _, tt := range tests {
		if got := formatRate(tt.successful, tt.failed); got != tt.want {
			t.Errorf("formatRate(%d, %d) = %q, want %q", tt.successful, tt.failed, got, tt.want)
		}
	}
}

func TestTableAlignment(t *testing.T) {
	tab := &table{indent: "  ", rightAligned: map[int]bool{0: true}}
	tab.add("sessions", "result-type", "host")
	row := tab.add("2", "certificate-expired", "")
	tab.note(row, "failure-reason-code: x509")
	tab.add("1200", "tlsa-invalid", "mx.example.com")

	var b strings.Builder
	w := bufio.NewWriter(&b)
	tab.write(w)
	w.Flush()

	want := "" +
		"  sessions  result-type          host\n" +
		"         2  certificate-expired\n" +
		"            failure-reason-code: x509\n" +
		"      1200  tlsa-invalid         mx.example.com\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\nb\x1b[31mc\u0085d"); got != "a b [31mc d" {
		t.Errorf("oneLine = %q", got)
	}
}

func TestSelectionLine(t *testing.T) {
	since := time.Date(2026, 11, 27, 22, 4, 47, 0, time.UTC)
	until := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		since, until *time.Time
		want         string
	}{
		{"since only", &since, nil,
			"reports whose date range ends after 2026-11-27T22:04:47Z"},
		{"until only", nil, &until,
			"reports whose date range starts before 2026-11-29T00:00:00Z"},
		{"both", &since, &until,
			"reports whose date range ends after 2026-11-27T22:04:47Z and starts before 2026-11-29T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := selectionLine(&Result{Since: tt.since, Until: tt.until})
			if got != tt.want {
				t.Errorf("selectionLine = %q\nwant %q", got, tt.want)
			}
		})
	}
}
