package clitest

import (
	"os"
	"path/filepath"
	"testing"
)

const page = "# tool\n\nIntro.\n\n## Usage\n\n```text\nUsage: tool [flags]\n```\n\n## More\n\n```sh\ntool -x\n```\n"

func TestCheckUsageDocMatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tool.md")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	CheckUsageDoc(t, path, "Usage: tool [flags]\n", false)
}

func TestCheckUsageDocMissingSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tool.md")
	if err := os.WriteFile(path, []byte("# tool\n\nNo usage here.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syncUsageDoc(path, "Usage: tool\n", false); err == nil {
		t.Error("a page without a usage section gave no error")
	}
}

func TestCheckUsageDocMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tool.md")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syncUsageDoc(path, "Usage: tool [other flags]\n", false); err == nil {
		t.Error("a differing usage block gave no error")
	}
}

func TestCheckUsageDocUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tool.md")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syncUsageDoc(path, "Usage: tool [new flags]\n  -n  new\n", true); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# tool\n\nIntro.\n\n## Usage\n\n```text\nUsage: tool [new flags]\n  -n  new\n```\n\n## More\n\n```sh\ntool -x\n```\n"
	if string(got) != want {
		t.Errorf("updated page:\n%s\nwant:\n%s", got, want)
	}
}
