package payload

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"runtime"
	"strings"
	"testing"
)

const reportJSON = `{"organization-name":"Example","report-id":"r1"}`

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipped(t testing.TB, members map[string][]byte, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want Kind
	}{
		{"gzip", []byte{0x1f, 0x8b, 8, 0}, Gzip},
		{"zip", []byte("PK\x03\x04rest"), Zip},
		{"json object", []byte(reportJSON), JSON},
		{"json with bom and space", []byte("\xef\xbb\xbf \r\n {}"), JSON},
		{"json array", []byte("[1]"), JSON},
		{"text", []byte("hello"), Unknown},
		{"empty", nil, Unknown},
		{"one gzip byte", []byte{0x1f}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.data); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeFormats(t *testing.T) {
	gz := gzipped(t, []byte(reportJSON))
	tests := []struct {
		name      string
		data      []byte
		wantDocs  int
		wantNames []string
		wantNote  string
	}{
		{"json", []byte(reportJSON), 1, []string{""}, ""},
		{"gzip", gz, 1, []string{""}, ""},
		{"gzip then crlf", append(append([]byte(nil), gz...), '\r', '\n'), 1, []string{""}, NoteGzipTrailingData},
		{"two gzip members", append(append([]byte(nil), gzipped(t, []byte(`{"a":`))...), gzipped(t, []byte(`1}`))...), 1, []string{""}, ""},
		{"zip of two", zipped(t, map[string][]byte{"a.json": []byte(reportJSON), "notes.txt": []byte("x"), "b.json.gz": gz}, "a.json", "notes.txt", "b.json.gz"), 2, []string{"a.json", "b.json.gz"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Decode(tt.data, 1<<20)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(docs) != tt.wantDocs {
				t.Fatalf("%d documents, want %d", len(docs), tt.wantDocs)
			}
			for i, d := range docs {
				if d.Filename != tt.wantNames[i] {
					t.Errorf("document %d name %q, want %q", i, d.Filename, tt.wantNames[i])
				}
				if Sniff(d.Data) != JSON {
					t.Errorf("document %d is not JSON: %q", i, d.Data)
				}
			}
			gotNote := ""
			if len(docs[0].Notes) > 0 {
				gotNote = docs[0].Notes[0].Code
			}
			if gotNote != tt.wantNote {
				t.Errorf("note %q, want %q", gotNote, tt.wantNote)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"unknown", []byte("%PDF-1.4"), "neither gzip, zip nor JSON"},
		{"gzip of text", gzipped(t, []byte("hello")), "gzip contains unknown data"},
		{"truncated gzip", gzipped(t, []byte(reportJSON))[:20], "invalid gzip"},
		{"zip without json", zipped(t, map[string][]byte{"a.txt": []byte("x")}, "a.txt"), "no .json report"},
		{"zip in zip", zipped(t, map[string][]byte{"a.json": zipped(t, map[string][]byte{"b.json": nil}, "b.json")}, "a.json"), "nested"},
		{"json over limit", []byte(`{"a":"` + strings.Repeat("x", 2000) + `"}`), "exceeds the size limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.data, 1000)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestGzipBombBounded decompresses 256 MiB of JSON packed into well under
// a megabyte as 256 gzip members of 1 MiB each, which RFC 1952 section 2.2
// allows. Decode must stop at the limit without allocating memory in
// proportion to the output.
func TestGzipBombBounded(t *testing.T) {
	var bomb []byte
	bomb = append(bomb, gzipped(t, []byte(`{"report-id":"bomb","padding":"`))...)
	member := gzipped(t, bytes.Repeat([]byte{' '}, 1<<20))
	for range 256 {
		bomb = append(bomb, member...)
	}
	bomb = append(bomb, gzipped(t, []byte(`"}`))...)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed, want under 1 MiB", len(bomb))
	}

	checkBombBounded(t, bomb)
}

// checkBombBounded requires Decode to reject data with ErrTooLarge at a
// 4 MiB limit, allocating at most four times the limit.
func checkBombBounded(t *testing.T, data []byte) error {
	t.Helper()
	const limit = 4 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Decode(data, limit)
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Decode error %v, want ErrTooLarge", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 4*limit {
		t.Errorf("Decode allocated %d bytes for a %d-byte limit", allocated, limit)
	}
	return err
}

// TestZipBombBounded packs 64 members of 1 MiB of JSON each into one
// archive. Each member fits the 4 MiB limit alone, so only a limit on the
// members together keeps the memory bounded.
func TestZipBombBounded(t *testing.T) {
	doc := []byte(`{"report-id":"bomb","padding":"` + strings.Repeat(" ", 1<<20) + `"}`)
	members := map[string][]byte{}
	var names []string
	for i := range 64 {
		name := "r" + strings.Repeat("x", i) + ".json"
		members[name] = doc
		names = append(names, name)
	}
	err := checkBombBounded(t, zipped(t, members, names...))
	if !strings.Contains(err.Error(), "together with the reports before it in the archive") {
		t.Errorf("Decode error %q does not say that the members together exceed the limit", err)
	}
}

func TestZipMembersWithinLimit(t *testing.T) {
	members := map[string][]byte{"a.json": []byte(reportJSON), "b.json.gz": gzipped(t, []byte(reportJSON))}
	docs, err := Decode(zipped(t, members, "a.json", "b.json.gz"), int64(2*len(reportJSON)))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(docs) != 2 {
		t.Errorf("%d documents, want 2 that fit the limit exactly", len(docs))
	}
}
