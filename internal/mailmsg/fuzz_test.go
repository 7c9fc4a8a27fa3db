package mailmsg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds adds every message of testdata/corpus (repository root) and of
// the extract quirk inputs to the fuzz corpus.
func addSeeds(f *testing.F) {
	for _, pattern := range []string{
		"../../testdata/corpus/*/*.eml",
		"../extract/testdata/quirks/*.eml",
	} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Add(nested)
	opts := Options{MaxDepth: 4, MaxPartSize: 64 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := Parse(data, opts)
		if err != nil {
			return
		}
		for _, p := range msg.Parts {
			if p.Path == "" || strings.Count(p.Path, ".") > opts.MaxDepth+1 {
				t.Errorf("part path %q", p.Path)
			}
			if int64(len(p.Data)) > opts.MaxPartSize {
				t.Errorf("part %s holds %d bytes, over the %d limit", p.Path, len(p.Data), opts.MaxPartSize)
			}
		}
	})
}
