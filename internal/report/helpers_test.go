package report

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/reportschema"
)

// corpusDir holds the real reports shared by every package's tests.
const corpusDir = "../../testdata/corpus"

var (
	schemaOnce      sync.Once
	schemaValidator *reportschema.Validator
	schemaErr       error
)

// validator returns the compiled docs/report.schema.json.
func validator(t testing.TB) *reportschema.Validator {
	t.Helper()
	schemaOnce.Do(func() { schemaValidator, schemaErr = reportschema.Load() })
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return schemaValidator
}

// readReport returns the JSON report in a test file: a .json file as it is,
// a .json.gz file decompressed, or the first application/* part of an .eml
// file, decoded and decompressed. The .eml reader is only as good as these
// tests need; extracting reports from mail is tlsrpt-extract's work.
func readReport(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasSuffix(path, ".gz"):
		return gunzip(t, path, data)
	case strings.HasSuffix(path, ".eml"):
		return reportFromMessage(t, path, data)
	}
	return data
}

func gunzip(t testing.TB, path string, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	zr.Multistream(false)
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func reportFromMessage(t testing.TB, path string, data []byte) []byte {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := parts.NextRawPart()
		if err != nil {
			t.Fatalf("%s: no application/* part: %v", path, err)
		}
		if !strings.HasPrefix(part.Header.Get("Content-Type"), "application/") {
			continue
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			if body, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(body))); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
			body = gunzip(t, path, body)
		}
		return body
	}
}

// bareReports returns the corpus files that are bare JSON reports.
func bareReports(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*/*.json", "*/*.json.gz"} {
		found, err := filepath.Glob(filepath.Join(corpusDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, found...)
	}
	if len(files) == 0 {
		t.Fatalf("no reports in %s", corpusDir)
	}
	return files
}

// quirkFiles returns the inputs under testdata/quirks that Parse accepts.
func quirkFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/quirks/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var usable []string
	for _, f := range files {
		if !strings.Contains(errorInputs, filepath.Base(f)) {
			usable = append(usable, f)
		}
	}
	return usable
}

// errorInputs names the quirk inputs that Parse must reject.
const errorInputs = "invalid-json.json not-an-object.json report-id-missing.json"

// warningCodes returns "code path" for each warning, the form the tables use.
func warningCodes(r *Report) []string {
	out := make([]string, 0, len(r.Warnings))
	for _, w := range r.Warnings {
		out = append(out, w.Code+" "+w.Path)
	}
	return out
}

// checkLine validates a line against the schema and checks that parsing
// it again reproduces it byte for byte.
func checkLine(t *testing.T, name string, line []byte) {
	t.Helper()
	if err := validator(t).Validate(line); err != nil {
		t.Errorf("%s: %v", name, err)
	}
	again, err := Parse(line, Hints{})
	if err != nil {
		t.Errorf("%s: parse of the normalised line: %v", name, err)
		return
	}
	if line2 := again.AppendJSON(nil); !bytes.Equal(line, line2) {
		t.Errorf("%s: normalising twice changed the line\nonce:  %s\ntwice: %s", name, line, line2)
	}
}
