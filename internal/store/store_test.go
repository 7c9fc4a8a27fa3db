package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/report"
	"github.com/tlsrpt/tlsrpt/internal/store/storetest"
)

// corpusReports returns the bare JSON reports of testdata/corpus, parsed.
func corpusReports(t testing.TB) []*report.Report {
	t.Helper()
	files, err := filepath.Glob("../../testdata/corpus/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus reports found: %v", err)
	}
	var reports []*report.Report
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := report.Parse(data, report.Hints{})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		r.Source = &report.Source{Input: file}
		reports = append(reports, r)
	}
	return reports
}

func generated(t testing.TB, n, variant int) *report.Report {
	t.Helper()
	r, err := report.Parse(storetest.AppendLine(nil, n, variant), report.Hints{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func openStore(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 5 * time.Second
	}
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

// addAll adds reports to the store at path in one run and returns the
// status of each.
func addAll(t testing.TB, path string, reports ...*report.Report) []Status {
	t.Helper()
	s := openStore(t, path, Options{})
	defer s.Close()
	var statuses []Status
	for _, r := range reports {
		res, err := s.Add(r)
		if err != nil {
			t.Fatalf("add: %v", err)
		}
		statuses = append(statuses, res.Status)
	}
	if err := s.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return statuses
}

// readLines returns the store's lines and fails on a torn or invalid one.
func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	rd := NewReader(f)
	for {
		line, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return lines
		}
		if err != nil {
			t.Fatalf("store line %d: %v", line.Number, err)
		}
		if _, err := report.Parse(line.Data, report.Hints{}); err != nil {
			t.Fatalf("store line %d: %v", line.Number, err)
		}
		lines = append(lines, bytes.Clone(line.Data))
	}
}

func TestReaderNext(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name  string
		input string
		want  []string // line data, "!torn" or "!long" for the error expected
	}{
		{"empty", "", nil},
		{"lines", "a\nbb\n", []string{"a", "bb"}},
		{"torn end", "a\nbb", []string{"a", "bb!torn"}},
		{"empty line", "a\n\nb\n", []string{"a", "", "b"}},
		{"too long", "a\n" + long + "\nb\n", []string{"a", "!long", "b"}},
		{"too long at end", "a\n" + long, []string{"a", "!long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := NewReader(strings.NewReader(tt.input))
			rd.max = 32
			var got []string
			offset := int64(0)
			for {
				line, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if line.Offset != offset {
					t.Errorf("line %d: offset %d, want %d", line.Number, line.Offset, offset)
				}
				offset = int64(strings.Index(tt.input[offset:], "\n")) + offset + 1
				switch {
				case errors.Is(err, ErrTornLine):
					got = append(got, string(line.Data)+"!torn")
				case errors.Is(err, ErrLineTooLong):
					got = append(got, "!long")
				case err != nil:
					t.Fatalf("line %d: %v", line.Number, err)
				default:
					got = append(got, string(line.Data))
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAddCorpus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	reports := corpusReports(t)

	first := addAll(t, path, reports...)
	counts := map[Status]int{}
	for _, s := range first {
		counts[s]++
	}
	lines := readLines(t, path)
	if len(lines) != counts[Stored] {
		t.Errorf("store has %d lines, %d reports were stored", len(lines), counts[Stored])
	}
	// The corpus holds variants of the RFC 8460 example with one key but
	// different content, so some conflicts are expected.
	if counts[Conflict] == 0 {
		t.Errorf("no conflict among the RFC 8460 example variants: %v", counts)
	}

	second := addAll(t, path, reports...)
	for i, s := range second {
		if first[i] == Stored && s != Repeat {
			t.Errorf("report %d (%s): second run %s, want repeat", i, reports[i].Source.Input, s)
		}
		if first[i] != Stored && s != first[i] {
			t.Errorf("report %d (%s): second run %s, first run %s", i, reports[i].Source.Input, s, first[i])
		}
	}
	if got := len(readLines(t, path)); got != len(lines) {
		t.Errorf("second run changed the store from %d to %d lines", len(lines), got)
	}
}

func TestAddStatus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	addAll(t, path, generated(t, 1, 0))

	s := openStore(t, path, Options{})
	defer s.Close()
	tests := []struct {
		name   string
		report *report.Report
		want   Status
	}{
		{"stored before", generated(t, 1, 0), Repeat},
		{"stored before other content", generated(t, 1, 5), Conflict},
		{"new", generated(t, 2, 0), Stored},
		{"new again", generated(t, 2, 0), Repeat},
		{"new other content", generated(t, 2, 5), Conflict},
	}
	for _, tt := range tests {
		res, err := s.Add(tt.report)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res.Status != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, res.Status, tt.want)
		}
	}
}

func TestAddSameIDOtherRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	a := generated(t, 1, 0)
	b := generated(t, 1, 0)
	b.Start = b.Start.AddDate(0, 0, 1)
	b.End = b.End.AddDate(0, 0, 1)

	got := addAll(t, path, a, b)
	if got[0] != Stored || got[1] != Stored {
		t.Errorf("one report-id, two date ranges: %v, want both stored", got)
	}
}

func TestAddLineContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	r := generated(t, 3, 0)
	r.Source = &report.Source{Input: "mail.mbox", Message: 2}

	s := openStore(t, path, Options{})
	res, err := s.Add(r)
	if err != nil {
		t.Fatal(err)
	}
	want := string(res.Line)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	appended, err := io.ReadAll(s.Appended())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	if string(appended) != want {
		t.Errorf("Appended() = %q, want %q", appended, want)
	}
	var line map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSuffix(appended, []byte("\n")), &line); err != nil {
		t.Fatal(err)
	}
	if _, ok := line[report.MemberIngested]; !ok {
		t.Errorf("stored line has no %s: %s", report.MemberIngested, appended)
	}
	if string(line[report.MemberSource]) != `{"input":"mail.mbox","message":2}` {
		t.Errorf("stored %s = %s", report.MemberSource, line[report.MemberSource])
	}
}

func TestCloseWithoutCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	addAll(t, path, generated(t, 1, 0))
	before, _ := os.ReadFile(path)

	s := openStore(t, path, Options{})
	for n := range 5000 { // more than the write buffer, so some reach the file
		if _, err := s.Add(generated(t, 100+n, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("store changed from %d to %d bytes without Commit", len(before), len(after))
	}
}

func TestIndexRebuild(t *testing.T) {
	const stored = 3000 // enough that the index grows beyond its first size
	var reports []*report.Report
	for n := range stored {
		reports = append(reports, generated(t, n, 0))
	}
	extra := generated(t, stored, 0)

	tests := []struct {
		name    string
		damage  func(t *testing.T, path string)
		wantLog string
	}{
		{"intact", func(*testing.T, string) {}, ""},
		{"missing", func(t *testing.T, path string) {
			if err := os.Remove(path + IndexSuffix); err != nil {
				t.Fatal(err)
			}
		}, "index missing"},
		{"store grew", func(t *testing.T, path string) {
			appendFile(t, path, storetest.AppendLine(nil, stored, 0))
		}, "indexing lines appended"},
		{"store shrank", func(t *testing.T, path string) {
			lines := readLines(t, path)
			keep := bytes.Join(lines[:len(lines)-10], []byte("\n"))
			if err := os.WriteFile(path, append(keep, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "does not match the store"},
		{"store rewritten", func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			data[len(data)-5] ^= 1 // a digit of the last _ingested value
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "does not match the store"},
		{"header garbage", func(t *testing.T, path string) {
			writeAt(t, path+IndexSuffix, 20, []byte("garbage"))
		}, "header checksum"},
		{"truncated", func(t *testing.T, path string) {
			if err := os.Truncate(path+IndexSuffix, indexHeaderSize+100); err != nil {
				t.Fatal(err)
			}
		}, "does not match the store"},
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path+IndexSuffix, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "does not match the store"},
		{"slots garbage", func(t *testing.T, path string) {
			garbage := bytes.Repeat([]byte{0x5a}, 64<<10)
			writeAt(t, path+IndexSuffix, indexHeaderSize, garbage)
		}, "does not match the store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store.jsonl")
			addAll(t, path, reports...)
			tt.damage(t, path)
			storeLines := len(readLines(t, path))

			var log bytes.Buffer
			s := openStore(t, path, Options{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))})
			statuses := map[Status]int{}
			for _, r := range append(reports, extra) {
				res, err := s.Add(r)
				if err != nil {
					t.Fatal(err)
				}
				statuses[res.Status]++
			}
			if err := s.Commit(); err != nil {
				t.Fatal(err)
			}
			s.Close()

			if !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log %q does not contain %q", log.String(), tt.wantLog)
			}
			if got := len(readLines(t, path)); got != stored+1 {
				t.Errorf("store has %d lines after the run, want %d (it had %d)", got, stored+1, storeLines)
			}
			if statuses[Conflict] != 0 {
				t.Errorf("%d conflicts, want none", statuses[Conflict])
			}
			if statuses[Stored] != stored+1-storeLines {
				t.Errorf("%d stored, want %d", statuses[Stored], stored+1-storeLines)
			}

			// The index written by the run is valid and covers the store.
			var log2 bytes.Buffer
			s = openStore(t, path, Options{Logger: slog.New(slog.NewTextHandler(&log2, &slog.HandlerOptions{Level: slog.LevelInfo}))})
			defer s.Close()
			if log2.Len() != 0 {
				t.Errorf("index not valid after the run: %s", log2.String())
			}
			res, err := s.Add(extra)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != Repeat {
				t.Errorf("report added last: %s, want repeat", res.Status)
			}
		})
	}
}

func TestTornLineRecovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	addAll(t, path, generated(t, 1, 0), generated(t, 2, 0))
	complete, _ := os.ReadFile(path)
	torn := storetest.AppendLine(nil, 3, 0)[:100]
	appendFile(t, path, torn)

	var log bytes.Buffer
	s := openStore(t, path, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if _, err := s.Add(generated(t, 3, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	recovered, err := os.ReadFile(path + TornSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if string(recovered) != string(torn)+"\n" {
		t.Errorf("recovery file %q, want %q", recovered, string(torn)+"\n")
	}
	if !strings.Contains(log.String(), "torn last line") {
		t.Errorf("no warning about the torn line in %q", log.String())
	}
	after, _ := os.ReadFile(path)
	if !bytes.HasPrefix(after, complete) {
		t.Errorf("complete lines changed")
	}
	if got := len(readLines(t, path)); got != 3 {
		t.Errorf("store has %d lines, want 3", got)
	}
}

func TestDryRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.jsonl")
	addAll(t, path, generated(t, 1, 0))
	appendFile(t, path, []byte(`{"torn`))
	if err := os.Remove(path + IndexSuffix); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)

	s := openStore(t, path, Options{DryRun: true})
	want := []Status{Repeat, Stored, Conflict}
	for i, r := range []*report.Report{generated(t, 1, 0), generated(t, 2, 0), generated(t, 1, 9)} {
		res, err := s.Add(r)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != want[i] {
			t.Errorf("report %d: %s, want %s", i, res.Status, want[i])
		}
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	if after := snapshot(t, dir); after != before {
		t.Errorf("dry run changed the directory:\nbefore %s\nafter  %s", before, after)
	}
}

func TestDryRunNoStore(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "store.jsonl"), Options{DryRun: true})
	res, err := s.Add(generated(t, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Stored {
		t.Errorf("%s, want stored", res.Status)
	}
	s.Close()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("dry run created %d files", len(entries))
	}
}

func TestOpenLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	holder := openStore(t, path, Options{})
	defer holder.Close()

	for _, dryRun := range []bool{false, true} {
		start := time.Now()
		_, err := Open(context.Background(), path, Options{DryRun: dryRun, LockTimeout: 200 * time.Millisecond})
		if !errors.Is(err, ErrLockTimeout) {
			t.Errorf("dry run %v: error %v, want ErrLockTimeout", dryRun, err)
		}
		if waited := time.Since(start); waited < 200*time.Millisecond {
			t.Errorf("dry run %v: gave up after %s, before the timeout", dryRun, waited)
		}
	}
}

func TestIndexFindCollision(t *testing.T) {
	x := newMemIndex("test.idx", 0)
	x.storeSize = 1 << 20
	for _, offset := range []int64{10, 20, 30} {
		if err := x.insert(42, offset); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.insert(42, 20); err != nil { // already there
		t.Fatal(err)
	}
	if err := x.insert(42+x.slots, 40); err != nil { // same first slot, other hash
		t.Fatal(err)
	}

	var found []int64
	err := x.find(42, func(offset int64) (bool, error) {
		found = append(found, offset)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 || found[0] != 10 || found[1] != 20 || found[2] != 30 {
		t.Errorf("offsets %v, want [10 20 30]", found)
	}
	if x.count != 4 {
		t.Errorf("count %d, want 4", x.count)
	}
}

func TestWriteFailureTruncates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.jsonl")
	addAll(t, path, generated(t, 1, 0))
	before, _ := os.ReadFile(path)

	s := openStore(t, path, Options{})
	defer s.Close()

	// RLIMIT_FSIZE makes a write beyond the limit fail with EFBIG, as a
	// full disk fails with ENOSPC; Go ignores the SIGXFSZ that comes with
	// it. The limit lets part of the lines reach the file first.
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	limit := old
	limit.Cur = uint64(len(before)) + 300<<10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("cannot set RLIMIT_FSIZE: %v", err)
	}
	var addErr error
	for n := 0; n < 2000 && addErr == nil; n++ {
		_, addErr = s.Add(generated(t, 100+n, 0))
	}
	commitErr := s.Commit()
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}

	if !errors.Is(addErr, syscall.EFBIG) {
		t.Errorf("add: %v, want EFBIG", addErr)
	}
	if !errors.Is(commitErr, syscall.EFBIG) {
		t.Errorf("commit: %v, want EFBIG", commitErr)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("store changed from %d to %d bytes after a failed write", len(before), len(after))
	}
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

func writeAt(t *testing.T, path string, offset int64, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, offset); err != nil {
		t.Fatal(err)
	}
}

// snapshot returns the names, sizes and SHA-256 sums of dir's files.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %x; ", e.Name(), len(data), sha256.Sum256(data))
	}
	return b.String()
}
