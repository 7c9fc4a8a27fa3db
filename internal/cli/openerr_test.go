package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExplainOpenError(t *testing.T) {
	dir := t.TempDir()
	missingDir := filepath.Join(dir, "missing")
	_, notExist := os.Open(filepath.Join(missingDir, "s.jsonl"))
	_, isDir := os.OpenFile(dir, os.O_WRONLY|os.O_APPEND, 0)
	permission := &fs.PathError{Op: "open", Path: "/var/lib/tlsrpt/s.jsonl", Err: fs.ErrPermission}
	other := errors.New("input/output error")

	tests := []struct {
		name, path string
		err        error
		want       []string
		wantNot    string
	}{
		{"missing directory", filepath.Join(missingDir, "s.jsonl"), notExist,
			[]string{"store directory " + missingDir + " does not exist", "mkdir -p " + missingDir, "which runs tlsrpt-x; nothing was stored"}, "try again"},
		{"directory", dir, isDir,
			[]string{"the store " + dir + " is a directory; give the path of a file; nothing was stored"}, "try again"},
		{"permission", "/var/lib/tlsrpt/s.jsonl", permission,
			[]string{"make /var/lib/tlsrpt/s.jsonl and its directory /var/lib/tlsrpt writable by ", "uid "}, "try again"},
		{"other", "/var/lib/tlsrpt/s.jsonl", other,
			[]string{"input/output error; nothing was stored, try again later"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExplainOpenError("tlsrpt-x", "store", tt.path, tt.err, "nothing was stored")
			if !errors.Is(got, tt.err) && tt.name != "missing directory" {
				t.Errorf("error %q does not wrap %v", got, tt.err)
			}
			for _, want := range tt.want {
				if !strings.Contains(got.Error(), want) {
					t.Errorf("error %q lacks %q", got, want)
				}
			}
			if tt.wantNot != "" && strings.Contains(got.Error(), tt.wantNot) {
				t.Errorf("error %q says %q, which cannot help", got, tt.wantNot)
			}
		})
	}
}
