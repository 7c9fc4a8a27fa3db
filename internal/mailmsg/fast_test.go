package mailmsg

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/benchgen"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

// compareWithSlow fails the test when the fast path accepts data but
// returns something other than what the go-message walk returns.
func compareWithSlow(t *testing.T, data []byte, opts Options) bool {
	t.Helper()
	fast, ok := parseFast(data, opts)
	if !ok {
		return false
	}
	slow, err := parseSlow(data, opts)
	if err != nil {
		t.Fatalf("fast path accepted a message go-message rejects: %v", err)
	}
	for i := range slow.Parts {
		if slow.Parts[i].Err != nil {
			t.Fatalf("fast path accepted part %s that go-message fails to decode: %v", slow.Parts[i].Path, slow.Parts[i].Err)
		}
		if len(slow.Parts[i].Data) == 0 {
			slow.Parts[i].Data = []byte{}
		}
	}
	for i := range fast.Parts {
		if len(fast.Parts[i].Data) == 0 {
			fast.Parts[i].Data = []byte{}
		}
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast path differs from go-message\nfast: %+v\nslow: %+v", fast, slow)
	}
	return true
}

func TestFastPathCorpus(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/corpus/*/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	quirkPaths, _ := filepath.Glob("../extract/testdata/quirks/*.eml")
	paths = append(paths, quirkPaths...)
	accepted := 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if compareWithSlow(t, data, Options{MaxDepth: DefaultMaxDepth, MaxPartSize: DefaultMaxPartSize}) {
			accepted++
		}
	}
	t.Logf("fast path took %d of %d messages", accepted, len(paths))
	if accepted < len(paths)/2 {
		t.Errorf("fast path took %d of %d messages, want at least half", accepted, len(paths))
	}
}

func TestFastPathGenerated(t *testing.T) {
	var buf bytes.Buffer
	if err := benchgen.New(3).WriteMbox(&buf, 200); err != nil {
		t.Fatal(err)
	}
	r := mbox.NewReader(&buf, 0)
	for {
		msg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !compareWithSlow(t, msg.Data, Options{MaxDepth: DefaultMaxDepth, MaxPartSize: DefaultMaxPartSize}) {
			t.Fatalf("fast path did not take generated message %d", msg.Number)
		}
	}
}

// FuzzFastPath checks that the fast path, whenever it accepts a message,
// returns exactly what go-message returns.
func FuzzFastPath(f *testing.F) {
	addSeeds(f)
	f.Add(nested)
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithSlow(t, data, Options{MaxDepth: 4, MaxPartSize: 64 << 10})
	})
}
