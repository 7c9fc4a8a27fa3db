package main

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/imaptest"
)

// BenchmarkFetchDovecot fetches a generated mailbox from a real Dovecot
// with the header filter and reports messages per second and the peak
// live heap. TLSRPT_BENCH_MESSAGES sets the mailbox size (default 50000);
// generating and indexing it is not timed.
func BenchmarkFetchDovecot(b *testing.B) {
	n := 50000
	if v := os.Getenv("TLSRPT_BENCH_MESSAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("TLSRPT_BENCH_MESSAGES: %v", err)
		}
	}
	s, err := imaptest.StartDovecot(b.TempDir(), imaptest.DovecotOptions{})
	if err != nil {
		b.Skip(err)
	}
	defer s.Close()
	if err := s.Deliver("Large", imaptest.GenerateMails(n, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))...); err != nil {
		b.Fatal(err)
	}
	caFile := b.TempDir() + "/ca.pem"
	if err := os.WriteFile(caFile, s.CAPEM, 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"-server", s.Host, "-port", strconv.Itoa(s.TLSPort), "-user", s.User, "-ca-file", caFile, "-mailbox", "Large"}
	env := func(name string) string {
		if name == "IMAP_PASS" {
			return s.Password
		}
		return ""
	}
	fetchOnce := func(out io.Writer) {
		if err := runEnv(context.Background(), args, env, out, io.Discard); cli.Code(err) != cli.ExitOK {
			b.Fatal(err)
		}
	}
	fetchOnce(io.Discard) // Dovecot indexes the new mail on the first SELECT.

	runtime.GC()
	stop := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	var out countingWriter
	b.ResetTimer()
	for range b.N {
		fetchOnce(&out)
	}
	b.StopTimer()
	close(stop)
	wg.Wait()

	seconds := b.Elapsed().Seconds() / float64(b.N)
	selected := n - n/10 // GenerateMails makes every tenth mail an ordinary one
	b.ReportMetric(float64(selected)/seconds, "msgs/s")
	b.ReportMetric(float64(out.n)/float64(b.N)/seconds/1e6, "MB/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
