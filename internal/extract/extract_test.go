package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/mbox"
	"github.com/tlsrpt/tlsrpt/internal/payload"
)

func TestExtractFileCorpusMessage(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "corpus", "tlsrpt-rs", "microsoft1.eml")
	reports, err := ExtractFile(path)
	if err != nil {
		t.Fatalf("ExtractFile(%s): %v", path, err)
	}
	if len(reports) != 1 {
		t.Fatalf("ExtractFile(%s) returned %d reports, want 1", path, len(reports))
	}
	if got := reports[0].OrganizationName; got != "Microsoft Corporation" {
		t.Errorf("organization-name = %q, want Microsoft Corporation", got)
	}
	if reports[0].Source == nil || reports[0].Source.Part != "2" {
		t.Errorf("source = %+v, want mime-part 2", reports[0].Source)
	}
}

func TestExtractFileMissing(t *testing.T) {
	_, err := ExtractFile(filepath.Join(t.TempDir(), "missing.mbox"))
	if err == nil {
		t.Fatal("ExtractFile on a missing file returned no error")
	}
}

func TestRecognize(t *testing.T) {
	tests := []struct {
		name string
		head string
		want Format
	}{
		{"mboxrd", "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n", FormatMbox},
		{"message", "Return-Path: <a@b>\r\nSubject: x\r\n", FormatMessage},
		{"json", "\n  {\"report-id\":1}", FormatPayload},
		{"json with bom", "\xef\xbb\xbf{}", FormatPayload},
		{"gzip", "\x1f\x8b\x08\x00", FormatPayload},
		{"zip", "PK\x03\x04", FormatPayload},
		{"text", "hello world\n", FormatUnknown},
		{"folded first line", " Subject: x\n", FormatUnknown},
		{"space in field name", "Not a header: x\n", FormatUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Recognize([]byte(tt.head)); got != tt.want {
				t.Errorf("Recognize(%q) = %v, want %v", tt.head, got, tt.want)
			}
		})
	}
}

func TestExtractFileFolder(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"a.json.gz":       filepath.Join("testdata", "quirks", "report.json.gz"),
		"b.eml":           filepath.Join("testdata", "quirks", "two-reports.eml"),
		"sub/c.json":      filepath.Join("testdata", "quirks", "bom.json"),
		".hidden/d.json":  filepath.Join("testdata", "quirks", "bom.json"),
		".partial.json":   filepath.Join("testdata", "quirks", "bom.json"),
		"sub/maildir/cur": "",
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if src == "" {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	reports, err := ExtractFile(dir)
	if err != nil {
		t.Fatalf("ExtractFile: %v", err)
	}
	var ids []string
	for _, r := range reports {
		ids = append(ids, r.ReportID)
	}
	want := []string{"gz-1", "two-1", "two-2", "bom-1"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("report-ids %v, want %v in file name order without hidden files", ids, want)
	}
}

func TestExtractFileEmptyMailbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.mbox")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reports, err := ExtractFile(path)
	if err != nil {
		t.Errorf("ExtractFile on an empty file: %v", err)
	}
	if len(reports) != 0 {
		t.Errorf("%d reports from an empty file", len(reports))
	}
}

func TestRunMessageOverLimit(t *testing.T) {
	path := filepath.Join("testdata", "quirks", "mboxrd-lf.mbox")
	var errs []error
	var skipped int
	err := Run(context.Background(), Options{MaxMessageSize: 500}, []string{path}, nil, func(res *Result) error {
		errs = append(errs, res.Errors...)
		if res.Skipped {
			skipped++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 2 {
		t.Fatalf("%d errors, want 2 for the two report mails over 500 bytes: %v", len(errs), errs)
	}
	if !errors.Is(errs[0], mbox.ErrTooLarge) || !strings.Contains(errs[0].Error(), "message 1") {
		t.Errorf("error %q, want mbox.ErrTooLarge naming message 1", errs[0])
	}
	if skipped != 1 {
		t.Errorf("%d messages skipped, want the cron mail", skipped)
	}
}

func TestRunSpilledClosed(t *testing.T) {
	path := filepath.Join("testdata", "quirks", "mboxrd-lf.mbox")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want [][]byte
	r := mbox.NewReader(f, 0)
	for {
		msg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, msg.Data)
	}

	var spilled []*Spilled
	err = Run(context.Background(), Options{MaxMessageSize: 500, KeepRaw: true}, []string{path}, nil, func(res *Result) error {
		if res.Spilled == nil {
			return nil
		}
		spilled = append(spilled, res.Spilled)
		if _, err := res.Spilled.File.Seek(0, io.SeekStart); err != nil {
			return err
		}
		data, err := io.ReadAll(res.Spilled.File)
		if err != nil {
			return err
		}
		if !bytes.Equal(data, want[res.Message-1]) {
			t.Errorf("message %d spilled as %q, want %q", res.Message, data, want[res.Message-1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(spilled) != 2 {
		t.Fatalf("%d messages spilled, want the 2 over 500 bytes", len(spilled))
	}
	for _, sp := range spilled {
		if _, err := sp.File.Stat(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("spilled file still open after Run: Stat error %v", err)
		}
	}
}

func TestRunReportSizeTotal(t *testing.T) {
	path := filepath.Join("testdata", "quirks", "two-reports.eml")
	var total int64
	err := Run(context.Background(), Options{}, []string{path}, nil, func(res *Result) error {
		if len(res.Reports) != 2 {
			t.Fatalf("%d reports, want 2", len(res.Reports))
		}
		total = int64(res.reportBytes)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Each report fits one byte less than both together, but the second
	// does not fit after the first.
	limit := total - 1
	var res *Result
	err = Run(context.Background(), Options{MaxReportSize: limit}, []string{path}, nil, func(r *Result) error {
		res = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reports) != 1 {
		t.Errorf("%d reports, want the first one only", len(res.Reports))
	}
	if len(res.Errors) != 1 {
		t.Fatalf("errors %v, want one for the second report", res.Errors)
	}
	msg := res.Errors[0].Error()
	if !errors.Is(res.Errors[0], payload.ErrTooLarge) {
		t.Errorf("error %q is not payload.ErrTooLarge", msg)
	}
	for _, want := range []string{"part 3", "together with the reports before it in the message", "raise -max-report-size"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}
