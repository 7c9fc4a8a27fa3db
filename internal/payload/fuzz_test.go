package payload

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode decodes arbitrary bytes as a report payload. Decode must
// never panic, and the documents it returns must be JSON and within the
// size limit together. Besides the corpus, testdata/fuzz/FuzzDecode holds
// a gzip member with trailing CRLF, a zip of .json, .json.gz and other
// members, and JSON after a byte order mark.
func FuzzDecode(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{
		"../../testdata/corpus/*/*.json", "../../testdata/corpus/*/*.json.gz",
		"../extract/testdata/quirks/*.zip", "../extract/testdata/quirks/*.json*",
	} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, paths...)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(zipped(f, map[string][]byte{"a.json": []byte(reportJSON), "b.json.gz": gzipped(f, []byte(reportJSON))}, "a.json", "b.json.gz"))

	const limit = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Decode(data, limit)
		if err != nil {
			return
		}
		total := 0
		for _, d := range docs {
			if kind := Sniff(d.Data); kind != JSON {
				t.Errorf("document %q is %s, not JSON", d.Filename, kind)
			}
			total += len(d.Data)
		}
		if total > limit {
			t.Errorf("documents of %d bytes together, over the %d-byte limit", total, limit)
		}
	})
}
