// Package clitest holds test helpers shared by the commands' tests.
package clitest

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// CheckUsageDoc compares usage, a command's -h output, with the first
// fenced code block under the "## Usage" heading of the Markdown file at
// docPath. With update set it rewrites that block instead, which is how
// the reference pages are kept in step with the commands.
func CheckUsageDoc(t testing.TB, docPath, usage string, update bool) {
	t.Helper()
	if err := syncUsageDoc(docPath, usage, update); err != nil {
		t.Error(err)
	}
}

func syncUsageDoc(docPath, usage string, update bool) error {
	data, err := os.ReadFile(docPath)
	if err != nil {
		return err
	}
	text := string(data)

	section := strings.Index(text, "\n## Usage\n")
	if section < 0 {
		return fmt.Errorf("%s has no \"## Usage\" section", docPath)
	}
	fence := strings.Index(text[section:], "\n```")
	if fence < 0 {
		return fmt.Errorf("%s: no fenced block under \"## Usage\"", docPath)
	}
	lineEnd := strings.Index(text[section+fence+1:], "\n")
	if lineEnd < 0 {
		return fmt.Errorf("%s: the fenced block under \"## Usage\" is not closed", docPath)
	}
	begin := section + fence + 1 + lineEnd + 1 // after the "```text" line
	length := strings.Index(text[begin:], "```\n")
	if length < 0 {
		return fmt.Errorf("%s: the fenced block under \"## Usage\" is not closed", docPath)
	}

	if update {
		text = text[:begin] + usage + text[begin+length:]
		return os.WriteFile(docPath, []byte(text), 0o644)
	}
	if got := text[begin : begin+length]; got != usage {
		return fmt.Errorf("the usage block of %s differs from the -h output (go test -update rewrites it):\n--- doc\n%s\n--- -h\n%s", docPath, got, usage)
	}
	return nil
}
