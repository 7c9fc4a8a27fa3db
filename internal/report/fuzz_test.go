package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that every report it
// accepts gives a valid JSON line that matches the schema and that Parse
// reproduces byte for byte.
func FuzzParse(f *testing.F) {
	for _, path := range bareReports(f) {
		f.Add(readReport(f, path))
	}
	quirks, err := filepath.Glob("testdata/quirks/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range quirks {
		f.Add(readReport(f, path))
	}

	v := validator(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data, Hints{ReportDomain: "example.net."})
		if err != nil {
			return
		}
		line := r.AppendJSON(nil)
		if !json.Valid(line) {
			t.Fatalf("invalid JSON line: %s", line)
		}
		if err := v.Validate(line); err != nil {
			t.Fatalf("%v\nline: %s", err, line)
		}
		again, err := Parse(line, Hints{})
		if err != nil {
			t.Fatalf("parse of the normalised line: %v\nline: %s", err, line)
		}
		if line2 := again.AppendJSON(nil); !bytes.Equal(line, line2) {
			t.Fatalf("normalising twice changed the line\nonce:  %s\ntwice: %s", line, line2)
		}
	})
}
