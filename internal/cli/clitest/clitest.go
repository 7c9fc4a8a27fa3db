// Package clitest holds test helpers shared by the commands' tests.
package clitest

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tlsrpt/tlsrpt/internal/cli"
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

// CheckCommandFlags compares the flags of fs, a command's flag set named
// after the command, with the list that cli keeps of every command's
// flags to decide which -config lines belong to another command.
func CheckCommandFlags(t testing.TB, fs *flag.FlagSet) {
	t.Helper()
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if listed := cli.CommandFlags(fs.Name()); !slices.Equal(names, listed) {
		t.Errorf("flags of %s are %q, but internal/cli lists %q; update commandFlags in internal/cli/commands.go", fs.Name(), names, listed)
	}
}

// CheckOneLine checks that stderr is the single line
// "PROGRAM: invalid flags: ...; run PROGRAM -h for usage" and that it
// contains want.
func CheckOneLine(t testing.TB, program, stderr, want string) {
	t.Helper()
	prefix := program + ": invalid flags: "
	suffix := "; run " + program + " -h for usage\n"
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr has %d lines, want one:\n%s", strings.Count(stderr, "\n"), stderr)
	}
	if !strings.HasPrefix(stderr, prefix) || !strings.HasSuffix(stderr, suffix) {
		t.Errorf("stderr %q, want %q...%q", stderr, prefix, suffix)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
}
