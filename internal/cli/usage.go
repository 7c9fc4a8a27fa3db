package cli

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// UsageWidth is the maximum length of a line that PrintUsage writes,
// so that the text fits an 80-column terminal. A single word longer than
// that (a long path in a description) gets a line of its own.
const UsageWidth = 79

// Usage is the content of a command's -h text.
type Usage struct {
	// Synopsis is the command line after "Usage: ", such as
	// "tlsrpt-ingest [flags] < reports.ndjson".
	Synopsis string

	// Description is plain text. A blank line separates paragraphs, and
	// PrintUsage rewraps each paragraph to UsageWidth.
	Description string

	// Flags are listed in the order of flag.FlagSet.VisitAll, which sorts
	// them by name. The word in back quotes in a flag's usage string is
	// its value placeholder, shown in upper case.
	Flags *flag.FlagSet

	// EnvName returns the environment variable of a flag. Nil means
	// EnvVar("TLSRPT", flagName), the names that ParseFlags reads.
	EnvName func(flagName string) string

	// ExitCodes are listed in ascending order of code.
	ExitCodes []ExitCode
}

// ExitCode is one exit code of a command and what it means for the run.
type ExitCode struct {
	Code    int
	Meaning string
}

// EnvVar returns the environment variable that ParseFlags reads for a
// flag: prefix, "_", then the flag name in upper case with "-", "." and
// "/" as "_" (the ff/v3 rule).
func EnvVar(prefix, flagName string) string {
	name := strings.NewReplacer("-", "_", ".", "_", "/", "_").Replace(flagName)
	return strings.ToUpper(prefix) + "_" + strings.ToUpper(name)
}

// Indentation of the -h text: a flag line, the lines that describe a flag
// and the continuation lines of an exit code's meaning.
const (
	flagIndent        = "  "
	flagTextIndent    = "      "
	exitMeaningIndent = "      "
)

// PrintUsage writes the -h text of a command to w: the usage line, the
// description, every flag with its placeholder, description, environment
// variable and default, the precedence of flags, environment variables
// and the -config file, and the exit codes. Like flag.PrintDefaults it
// ignores write errors, because -h has nowhere else to report them.
func PrintUsage(w io.Writer, u Usage) {
	var b strings.Builder
	b.WriteString("Usage: " + u.Synopsis + "\n")

	for _, paragraph := range splitParagraphs(u.Description) {
		b.WriteString("\n")
		wrap(&b, paragraph, "", "")
	}

	if u.Flags != nil {
		b.WriteString("\nFlags:\n")
		envName := u.EnvName
		if envName == nil {
			envName = func(flagName string) string { return EnvVar("TLSRPT", flagName) }
		}
		u.Flags.VisitAll(func(f *flag.Flag) { writeFlag(&b, f, envName(f.Name)) })

		b.WriteString("\n")
		wrap(&b, "Precedence: a flag on the command line wins over its environment "+
			"variable, which wins over the line of the same name in the -config file.", "", "")
	}

	if len(u.ExitCodes) > 0 {
		b.WriteString("\nExit status:\n")
		codes := slices.SortedStableFunc(slices.Values(u.ExitCodes), func(a, b ExitCode) int {
			return cmp.Compare(a.Code, b.Code)
		})
		for _, c := range codes {
			wrap(&b, c.Meaning, fmt.Sprintf("  %-4d", c.Code), exitMeaningIndent)
		}
	}

	io.WriteString(w, b.String())
}

// writeFlag writes one flag: "-name PLACEHOLDER", then its description,
// then "env NAME, default VALUE".
func writeFlag(b *strings.Builder, f *flag.Flag, env string) {
	placeholder, text := flagPlaceholder(f)
	b.WriteString(flagIndent + "-" + f.Name)
	if placeholder != "" {
		b.WriteString(" " + placeholder)
	}
	b.WriteString("\n")
	wrap(b, text, flagTextIndent, flagTextIndent)

	def := "default " + f.DefValue
	if f.DefValue == "" {
		def = "no default"
	}
	wrap(b, "env "+env+", "+def, flagTextIndent, flagTextIndent)
}

// flagPlaceholder returns the value placeholder of f in upper case and
// its usage string with the back-quoted placeholder in upper case too, so
// that "read flags from `file`" becomes "-config FILE" and "read flags
// from FILE". Without back quotes the placeholder is the one that
// flag.UnquoteUsage derives from the type ("int", "duration", "value"),
// and a boolean flag has none.
func flagPlaceholder(f *flag.Flag) (placeholder, text string) {
	name, _ := flag.UnquoteUsage(f)
	placeholder = strings.ToUpper(name)

	text = f.Usage
	if before, rest, ok := strings.Cut(text, "`"); ok {
		if quoted, after, ok := strings.Cut(rest, "`"); ok {
			text = before + strings.ToUpper(quoted) + after
		}
	}
	return placeholder, text
}

// splitParagraphs splits text at blank lines and joins the lines of each
// paragraph into one line.
func splitParagraphs(text string) []string {
	var paragraphs []string
	for _, block := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if p := strings.Join(strings.Fields(block), " "); p != "" {
			paragraphs = append(paragraphs, p)
		}
	}
	return paragraphs
}

// wrap writes text in lines of at most UsageWidth columns. The first line
// starts with first and the others with indent, so first can carry a
// label such as an exit code. A word longer than a line is not split.
func wrap(b *strings.Builder, text, first, indent string) {
	line := first
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > UsageWidth {
			b.WriteString(line + "\n")
			line = indent
			empty = true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
}
