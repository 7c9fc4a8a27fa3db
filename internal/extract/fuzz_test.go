package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzExtract feeds arbitrary bytes to the input recognizer and the whole
// pipeline as standard input. It must never panic, and every report it
// returns must encode as valid JSON with its provenance.
func FuzzExtract(f *testing.F) {
	for _, pattern := range []string{"../../testdata/corpus/*/*", "testdata/quirks/*"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				continue // a directory such as testdata/quirks/maildir
			}
			f.Add(data)
		}
	}
	opts := Options{MaxMessageSize: 1 << 20, MaxReportSize: 1 << 20, Workers: 1, Encode: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Run(context.Background(), opts, []string{"-"}, bytes.NewReader(data), func(res *Result) error {
			for _, line := range bytes.Split(bytes.TrimSuffix(res.Lines, []byte("\n")), []byte("\n")) {
				if len(line) > 0 && !json.Valid(line) {
					t.Errorf("invalid JSON line %q", line)
				}
			}
			for _, r := range res.Reports {
				if r.Source == nil || r.Source.SHA256 == "" {
					t.Errorf("report %q without provenance", r.ReportID)
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}
