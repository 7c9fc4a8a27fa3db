package extract

import (
	"path/filepath"
	"testing"
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
