package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenName maps a corpus path such as mail-tls-rpt/report.json.gz to
// testdata/golden/mail-tls-rpt_report.json.gz.ndjson.
func goldenName(path string) string {
	rel, err := filepath.Rel(corpusDir, path)
	if err != nil {
		rel = filepath.Base(path)
	}
	return filepath.Join("testdata/golden", strings.ReplaceAll(filepath.ToSlash(rel), "/", "_")+".ndjson")
}

// Every bare JSON report in the corpus gives the line in its golden file.
// Hints are empty, as for a report read from a file without a carrier.
func TestParseGolden(t *testing.T) {
	for _, path := range bareReports(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := Parse(readReport(t, path), Hints{})
			if err != nil {
				t.Fatal(err)
			}
			got := append(r.AppendJSON(nil), '\n')

			golden := goldenName(path)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s\ngot:  %s\nwant: %s", path, golden, got, want)
			}
		})
	}
}
