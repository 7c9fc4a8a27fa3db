package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
)

// Source is the origin of a flag's value. A higher Source wins.
type Source int

const (
	FromDefault Source = iota
	FromConfig
	FromEnv
	FromFlag
)

// FlagError is an invalid command line, environment variable or -config
// file line. Its message reads "invalid flags: WHAT; run PROGRAM -h for
// usage", and main prints it after "PROGRAM: " as the only line.
type FlagError struct {
	Program string
	Err     error
}

func (e *FlagError) Error() string {
	return fmt.Sprintf("invalid flags: %v; run %s -h for usage", e.Err, e.Program)
}

func (e *FlagError) Unwrap() error { return e.Err }

// InvalidFlags returns a FlagError that makes main exit with ExitUsage.
// Commands use it for flag values they check after parsing.
func InvalidFlags(program string, err error) error {
	return Exit(ExitUsage, &FlagError{Program: program, Err: err})
}

// ParseFlags parses args into fs with the priority flags, then environment
// variables named EnvVar(envPrefix, flag name), then the file named by the
// -config flag if fs defines one. Flags may come before or after the
// operands, "--" ends the flags, and a lone "-" is an operand. fs.Args
// returns the operands in their order in args. See ParseFlagSources for
// the errors.
func ParseFlags(fs *flag.FlagSet, args []string, envPrefix string) error {
	return ParseFlagsEnv(fs, args, func(flagName string) string { return EnvVar(envPrefix, flagName) })
}

// ParseFlagsEnv is ParseFlags for a command whose environment variables do
// not all share one prefix: envName returns the variable of a flag, and ""
// for a flag that has none.
func ParseFlagsEnv(fs *flag.FlagSet, args []string, envName func(flagName string) string) error {
	_, err := ParseFlagSources(fs, args, envName, os.Getenv)
	return err
}

// ParseFlagSources is ParseFlagsEnv with the environment lookup as a
// parameter. It returns the source of every flag that was set, for a
// command where two flags set one thing and the higher source wins.
//
// -h prints fs.Usage to fs.Output and returns an ExitError with code 0
// wrapping flag.ErrHelp. Any other error is a FlagError with code 2;
// nothing is printed for it, so main prints the one line. A -config line
// naming a flag of another tlsrpt command is ignored, so that one file can
// serve every command. A name that no command defines is an error that
// names the file and the line.
func ParseFlagSources(fs *flag.FlagSet, args []string, envName func(flagName string) string, getenv func(string) string) (map[string]Source, error) {
	if envName == nil {
		envName = func(flagName string) string { return EnvVar("TLSRPT", flagName) }
	}
	sources, err := parseSources(fs, args, envName, getenv)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(fs)
		return nil, Exit(ExitOK, err)
	}
	if err != nil {
		return nil, Exit(ExitUsage, &FlagError{Program: fs.Name(), Err: err})
	}
	return sources, nil
}

func parseSources(fs *flag.FlagSet, args []string, envName func(string) string, getenv func(string) string) (map[string]Source, error) {
	checker := checkValues(fs)
	defer checker.restore()

	if err := parseArgs(fs, args, checker); err != nil {
		return nil, err
	}
	sources := map[string]Source{}
	fs.Visit(func(f *flag.Flag) { sources[f.Name] = FromFlag })

	if err := setFromEnv(fs, sources, envName, getenv); err != nil {
		return nil, err
	}

	configFlag := fs.Lookup("config")
	if configFlag == nil || configFlag.Value.String() == "" {
		return sources, nil
	}
	if err := setFromConfig(fs, sources, configFlag.Value.String()); err != nil {
		return nil, err
	}
	return sources, nil
}

// parseArgs runs fs.Parse with the flag package's own messages and usage
// switched off, because ParseFlagSources reports the error in one line.
// Flags may come before or after the operands, as with GNU getopt's
// default ordering, and fs.Args returns the operands in their order in args.
func parseArgs(fs *flag.FlagSet, args []string, checker *valueChecker) error {
	output, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defer func() {
		fs.SetOutput(output)
		fs.Usage = usage
	}()

	flags, operands := splitArgs(fs, args)
	err := fs.Parse(flags)
	if err != nil && checker.lastErr != nil {
		// Parse stops at the first error, so this one came from a Set.
		// The flag package's wording ("invalid value ... for flag -x:
		// parse error") would hide the expected form.
		return checker.lastErr
	}
	if err != nil {
		return err
	}

	// The flag package has no setter for the operands, but Parse stops
	// after a leading "--" and keeps the rest for fs.Args unread.
	return fs.Parse(append([]string{"--"}, operands...))
}

// splitArgs separates the flags in args, each with its value, from the
// operands, keeping the order of both. "--" ends the flags and is dropped,
// and a lone "-" (standard input) is an operand. A flag takes the next
// argument as its value by the rule of flag.FlagSet.Parse: when fs defines
// it, it is not boolean and it has no "=value". An undefined flag or one
// of bad syntax ("---x") goes with the flags, so that Parse reports it.
func splitArgs(fs *flag.FlagSet, args []string) (flags, operands []string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return flags, append(operands, args[i+1:]...)
		case len(arg) < 2 || arg[0] != '-':
			operands = append(operands, arg)
		default:
			flags = append(flags, arg)
			if takesNextArg(fs, arg) && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	return flags, operands
}

// takesNextArg reports whether arg, "-name" or "--name", is a flag of fs
// that reads its value from the next argument.
func takesNextArg(fs *flag.FlagSet, arg string) bool {
	name := strings.TrimPrefix(arg[1:], "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	boolFlag, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !boolFlag.IsBoolFlag()
}

func printUsage(fs *flag.FlagSet) {
	if fs.Usage != nil {
		fs.Usage()
		return
	}
	fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
	fs.PrintDefaults()
}

func setFromEnv(fs *flag.FlagSet, sources map[string]Source, envName func(string) string, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if _, set := sources[f.Name]; set || err != nil {
			return
		}
		name := envName(f.Name)
		if name == "" {
			return
		}
		value := getenv(name)
		if value == "" {
			return
		}
		if setErr := fs.Set(f.Name, value); setErr != nil {
			err = fmt.Errorf("environment variable %s: %w", name, setErr)
			return
		}
		sources[f.Name] = FromEnv
	})
	return err
}

// setFromConfig sets the flags still unset from the lines of path. The
// format is ff.PlainParser's: "name value" per line, blank lines and
// lines starting with "#" skipped, " #" starting a comment after the value,
// and a name alone meaning "name true".
func setFromConfig(fs *flag.FlagSet, sources map[string]Source, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("-config: %w", err)
	}
	defer file.Close()

	scanner := bufio.NewScanner(file)
	for lineNumber := 1; scanner.Scan(); lineNumber++ {
		err := ff.PlainParser(strings.NewReader(scanner.Text()), func(name, value string) error {
			return setConfigLine(fs, sources, name, value)
		})
		if err != nil {
			return fmt.Errorf("-config %s line %d: %w", path, lineNumber, err)
		}
	}
	if err := scanner.Err(); err != nil {
		return fmt.Errorf("-config %s: %w", path, err)
	}
	return nil
}

func setConfigLine(fs *flag.FlagSet, sources map[string]Source, name, value string) error {
	if fs.Lookup(name) == nil {
		if isCommandFlag(name) {
			return nil // a flag of another tlsrpt command
		}
		if flagName, _, found := strings.Cut(name, "="); found && (fs.Lookup(flagName) != nil || isCommandFlag(flagName)) {
			return fmt.Errorf("%q is not a flag of any tlsrpt command; write a line as %q, the name, a space and the value", name, flagName+" VALUE")
		}
		return fmt.Errorf("%q is not a flag of any tlsrpt command", name)
	}
	if _, set := sources[name]; set {
		return nil
	}
	if err := fs.Set(name, value); err != nil {
		return err
	}
	sources[name] = FromConfig
	return nil
}

// valueChecker wraps the Values of a flag set while it is parsed, so that
// an invalid value gets an error that names the flag and says which form
// is expected, in place of the flag package's "parse error".
type valueChecker struct {
	originals map[*flag.Flag]flag.Value
	lastErr   error // of the last failed Set
}

// checkValues wraps every Value of fs. The caller must call restore
// before fs.Usage runs, so that PrintUsage sees the original types.
func checkValues(fs *flag.FlagSet) *valueChecker {
	c := &valueChecker{originals: map[*flag.Flag]flag.Value{}}
	fs.VisitAll(func(f *flag.Flag) {
		c.originals[f] = f.Value
		f.Value = &checkedValue{Value: f.Value, name: f.Name, checker: c}
	})
	return c
}

func (c *valueChecker) restore() {
	for f, v := range c.originals {
		f.Value = v
	}
}

type checkedValue struct {
	flag.Value
	name    string
	checker *valueChecker
}

func (v *checkedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err == nil {
		return nil
	}
	if want := expectedForm(v.Value); want != "" {
		err = fmt.Errorf("invalid value %q for -%s: %s", s, v.name, want)
	} else {
		err = fmt.Errorf("invalid value %q for -%s: %w", s, v.name, err)
	}
	v.checker.lastErr = err
	return err
}

// IsBoolFlag keeps "-v" without a value working for a wrapped bool flag.
func (v *checkedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// expectedForm returns what a value of the flag package's standard types
// must look like, or "" for other types, whose own errors are kept.
func expectedForm(value flag.Value) string {
	getter, ok := value.(flag.Getter)
	if !ok {
		return ""
	}
	switch getter.Get().(type) {
	case time.Duration:
		return "want a duration with a unit, such as 30s, 5m or 1h"
	case bool:
		return "want true or false"
	case int, int64:
		return "want a whole number"
	case uint, uint64:
		return "want a whole number that is not negative"
	case float64:
		return "want a number"
	}
	return ""
}

// isCommandFlag reports whether name is a flag of some tlsrpt command.
func isCommandFlag(name string) bool {
	for _, names := range commandFlags {
		if slices.Contains(names, name) {
			return true
		}
	}
	return false
}
