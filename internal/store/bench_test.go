package store

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/report"
	"github.com/tlsrpt/tlsrpt/internal/store/storetest"
)

// BenchmarkIngest1k measures one ingest run of 1,000 new reports, as
// tlsrpt-ingest does it: open and lock the store, parse each NDJSON line,
// add it, commit with fsync and update the index. The store sizes show
// that the cost follows the input, not the store.
func BenchmarkIngest1k(b *testing.B) {
	for _, size := range []int{0, 100_000, 1_000_000} {
		b.Run("store="+strconv.Itoa(size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "store.jsonl")
			fillStore(b, path, size)

			next := size
			for b.Loop() {
				b.StopTimer()
				input := storetest.Lines(next, 1000)
				next += 1000
				b.StartTimer()

				s, err := Open(context.Background(), path, Options{LockTimeout: time.Second})
				if err != nil {
					b.Fatal(err)
				}
				lines := NewReader(bytes.NewReader(input))
				for {
					line, err := lines.Next()
					if err != nil {
						break
					}
					r, err := report.Parse(line.Data, report.Hints{})
					if err != nil {
						b.Fatal(err)
					}
					if res, err := s.Add(r); err != nil || res.Status != Stored {
						b.Fatalf("add: %v %v", res.Status, err)
					}
				}
				if err := s.Commit(); err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "reports/s")
		})
	}
}

// fillStore writes n generated reports to a new store at path in one run.
// It changes the report-id and dates of one parsed report instead of
// parsing n lines, which keeps the setup of a 1,000,000-report store to
// seconds.
func fillStore(b *testing.B, path string, n int) {
	b.Helper()
	s, err := Open(context.Background(), path, Options{LockTimeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	template, err := report.Parse(storetest.AppendLine(nil, 0, 0), report.Hints{})
	if err != nil {
		b.Fatal(err)
	}
	start, end := template.Start, template.End
	for i := range n {
		template.ReportID = strconv.Itoa(i) + "_gen.example"
		template.Start, template.End = start.AddDate(0, 0, i%3650), end.AddDate(0, 0, i%3650)
		if _, err := s.Add(template); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Commit(); err != nil {
		b.Fatal(err)
	}
}
