package extract

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/reportschema"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenInputs returns the corpus files and the quirk inputs, each a path
// relative to this package's directory.
func goldenInputs(t *testing.T) []string {
	t.Helper()
	var inputs []string
	corpus := filepath.Join("..", "..", "testdata", "corpus")
	err := filepath.WalkDir(corpus, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() != "README.md" {
			inputs = append(inputs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "quirks"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "README.md" {
			inputs = append(inputs, filepath.Join("testdata", "quirks", e.Name()))
		}
	}
	return inputs
}

// displayName strips the path up to the repository's testdata/ or this
// package's testdata/, so golden files do not depend on where tests run.
func displayName(path string) string {
	return strings.TrimPrefix(filepath.ToSlash(path), "../../")
}

// extractForGolden runs the extractor on one input and returns the report
// lines, then one "error:" line per error and one "skipped:" line per
// message without a report.
func extractForGolden(t *testing.T, path string) []byte {
	t.Helper()
	var out, notes bytes.Buffer
	err := Run(context.Background(), Options{}, []string{path}, nil, func(res *Result) error {
		for _, r := range res.Reports {
			r.Source.Input = displayName(r.Source.Input)
			out.Write(r.AppendJSON(nil))
			out.WriteByte('\n')
		}
		for _, e := range res.Errors {
			fmt.Fprintf(&notes, "error: %s\n", strings.ReplaceAll(e.Error(), "../../", ""))
		}
		if res.IOErr != nil {
			fmt.Fprintf(&notes, "i/o error: %s\n", res.IOErr)
		}
		if res.Skipped {
			fmt.Fprintf(&notes, "skipped: message %d %s\n", res.Message, res.MessageID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run(%s): %v", path, err)
	}
	out.Write(notes.Bytes())
	return out.Bytes()
}

func TestGolden(t *testing.T) {
	validator, err := reportschema.Load()
	if err != nil {
		t.Fatalf("loading the report schema: %v", err)
	}
	for _, path := range goldenInputs(t) {
		name := displayName(path)
		t.Run(name, func(t *testing.T) {
			got := extractForGolden(t, path)
			for i, line := range bytes.Split(got, []byte("\n")) {
				if len(line) == 0 || line[0] != '{' {
					continue
				}
				if err := validator.Validate(line); err != nil {
					t.Errorf("line %d does not match docs/report.schema.json: %v", i+1, err)
				}
			}

			golden := filepath.Join("testdata", "golden", strings.TrimPrefix(name, "testdata/")+".golden")
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
				t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}
