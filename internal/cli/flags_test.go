package cli

import (
	"bytes"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testFlags is a flag set like a command's, with one flag of each kind
// that needs its own error message.
type testFlags struct {
	fs      *flag.FlagSet
	store   string
	rejects string
	timeout time.Duration
	depth   int
	verbose bool
}

func newTestFlags() *testFlags {
	f := &testFlags{fs: flag.NewFlagSet("tlsrpt-test", flag.ContinueOnError)}
	f.fs.StringVar(&f.store, "store", "default.jsonl", "store `file`")
	f.fs.StringVar(&f.rejects, "rejects", "", "rejects `file`")
	f.fs.DurationVar(&f.timeout, "lock-timeout", 30*time.Second, "lock timeout")
	f.fs.IntVar(&f.depth, "max-depth", 10, "MIME depth")
	f.fs.BoolVar(&f.verbose, "v", false, "verbose")
	f.fs.String("config", "", "config `file`")
	return f
}

// testEnvName gives -rejects a variable of its own, as tlsrpt-extract
// and tlsrpt-ingest do.
func testEnvName(flagName string) string {
	if flagName == "rejects" {
		return "TLSRPT_TEST_REJECTS"
	}
	return EnvVar("TLSRPT", flagName)
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tlsrpt.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseFlagSourcesPrecedence(t *testing.T) {
	config := writeConfig(t, "store config.jsonl\nrejects config.rejects\nlock-timeout 1m\n")
	env := map[string]string{
		"TLSRPT_STORE":        "env.jsonl",
		"TLSRPT_REJECTS":      "wrong.rejects",
		"TLSRPT_TEST_REJECTS": "env.rejects",
	}
	f := newTestFlags()
	args := []string{"-config", config, "-store", "flag.jsonl", "-v"}
	sources, err := ParseFlagSources(f.fs, args, testEnvName, func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}

	if f.store != "flag.jsonl" {
		t.Errorf("store = %q, want the flag's value", f.store)
	}
	if f.rejects != "env.rejects" {
		t.Errorf("rejects = %q, want the value of TLSRPT_TEST_REJECTS", f.rejects)
	}
	if f.timeout != time.Minute {
		t.Errorf("lock-timeout = %v, want the config file's 1m", f.timeout)
	}
	if !f.verbose {
		t.Error("-v without a value did not set the bool flag")
	}
	want := map[string]Source{"config": FromFlag, "store": FromFlag, "v": FromFlag, "rejects": FromEnv, "lock-timeout": FromConfig}
	for name, source := range want {
		if sources[name] != source {
			t.Errorf("source of -%s = %d, want %d", name, sources[name], source)
		}
	}
	if len(sources) != len(want) {
		t.Errorf("sources = %v, want %v", sources, want)
	}
}

func TestConfigSharedByCommands(t *testing.T) {
	// "server" and "mailbox" are tlsrpt-fetch flags, "until" a
	// tlsrpt-summary flag; the test flag set defines none of them.
	config := writeConfig(t, "# shared by every tlsrpt command\n\nserver imap.example.com\nmailbox TLSRPT\nstore shared.jsonl\nuntil 2026-01-01\n")
	f := newTestFlags()
	if err := ParseFlagsEnv(f.fs, []string{"-config", config}, testEnvName); err != nil {
		t.Fatal(err)
	}
	if f.store != "shared.jsonl" {
		t.Errorf("store = %q, want shared.jsonl", f.store)
	}
}

func TestParseFlagSourcesErrors(t *testing.T) {
	typo := writeConfig(t, "store a.jsonl\n\nstroe b.jsonl\n")
	badValue := writeConfig(t, "# comment\nlock-timeout 5\n")
	equals := writeConfig(t, "store=/tmp/x.jsonl\n")
	missing := filepath.Join(t.TempDir(), "missing.conf")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"-nope"},
			nil, "flag provided but not defined: -nope"},
		{"duration without unit", []string{"-lock-timeout", "5"},
			nil, `invalid value "5" for -lock-timeout: want a duration with a unit, such as 30s, 5m or 1h`},
		{"not a number", []string{"-max-depth=deep"},
			nil, `invalid value "deep" for -max-depth: want a whole number`},
		{"bool", []string{"-v=maybe"},
			nil, `invalid value "maybe" for -v: want true or false`},
		{"environment", nil,
			map[string]string{"TLSRPT_LOCK_TIMEOUT": "soon"}, `environment variable TLSRPT_LOCK_TIMEOUT: invalid value "soon" for -lock-timeout: want a duration`},
		{"config typo", []string{"-config", typo},
			nil, "-config " + typo + ` line 3: "stroe" is not a flag of any tlsrpt command`},
		{"config name=value", []string{"-config", equals},
			nil, "-config " + equals + ` line 1: "store=/tmp/x.jsonl" is not a flag of any tlsrpt command; write a line as "store VALUE", the name, a space and the value`},
		{"config value", []string{"-config", badValue},
			nil, "-config " + badValue + ` line 2: invalid value "5" for -lock-timeout: want a duration`},
		{"config missing", []string{"-config", missing},
			nil, "-config: open " + missing + ": no such file or directory"},
		{"value missing at end", []string{"a.jsonl", "-rejects"},
			nil, "flag needs an argument: -rejects"},
		{"unknown flag after operand", []string{"a.jsonl", "-nope"},
			nil, "flag provided but not defined: -nope"},
		{"invalid value after operand", []string{"a.jsonl", "-lock-timeout", "5"},
			nil, `invalid value "5" for -lock-timeout: want a duration`},
		{"bad syntax after operand", []string{"a.jsonl", "---v"},
			nil, "bad flag syntax: ---v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFlags()
			var output bytes.Buffer
			f.fs.SetOutput(&output)
			_, err := ParseFlagSources(f.fs, tt.args, testEnvName, func(name string) string { return tt.env[name] })

			if Code(err) != ExitUsage {
				t.Errorf("exit code %d, want %d (err: %v)", Code(err), ExitUsage, err)
			}
			var flagErr *FlagError
			if !errors.As(err, &flagErr) {
				t.Fatalf("error %v is not a FlagError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "invalid flags: "+tt.want) {
				t.Errorf("error %q, want it to start with %q", msg, "invalid flags: "+tt.want)
			}
			if !strings.HasSuffix(msg, "; run tlsrpt-test -h for usage") {
				t.Errorf("error %q does not point to -h", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q has more than one line", msg)
			}
			if output.Len() > 0 {
				t.Errorf("parsing wrote to the flag set's output:\n%s", output.String())
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	f := newTestFlags()
	var output bytes.Buffer
	f.fs.SetOutput(&output)
	f.fs.Usage = func() {
		PrintUsage(f.fs.Output(), Usage{Synopsis: "tlsrpt-test", Flags: f.fs, EnvName: testEnvName})
	}
	err := ParseFlagsEnv(f.fs, []string{"-h"}, testEnvName)

	if !errors.Is(err, flag.ErrHelp) || Code(err) != ExitOK {
		t.Errorf("error %v with exit code %d, want flag.ErrHelp with 0", err, Code(err))
	}
	usage := output.String()
	if !strings.HasPrefix(usage, "Usage: tlsrpt-test\n") {
		t.Errorf("-h output does not start with the usage line:\n%s", usage)
	}
	if !strings.Contains(usage, "-lock-timeout DURATION\n") {
		t.Errorf("-h output lacks the placeholder of the duration flag:\n%s", usage)
	}
	if !strings.Contains(usage, "env TLSRPT_TEST_REJECTS, no default") {
		t.Errorf("-h output lacks the variable of -rejects:\n%s", usage)
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		operands []string
		store    string
		rejects  string
		verbose  bool
		sources  map[string]Source
	}{
		{"flags after operand", []string{"a.jsonl", "-store", "s.jsonl", "-v"},
			[]string{"a.jsonl"}, "s.jsonl", "", true, map[string]Source{"store": FromFlag, "v": FromFlag}},
		{"equals form between operands", []string{"a.jsonl", "-store=s.jsonl", "b.jsonl"},
			[]string{"a.jsonl", "b.jsonl"}, "s.jsonl", "", false, map[string]Source{"store": FromFlag}},
		{"mixed order", []string{"a.jsonl", "-v", "b.jsonl", "-rejects", "r.mbox", "c.jsonl", "-store", "s.jsonl"},
			[]string{"a.jsonl", "b.jsonl", "c.jsonl"}, "s.jsonl", "r.mbox", true,
			map[string]Source{"store": FromFlag, "rejects": FromFlag, "v": FromFlag}},
		{"two minus signs", []string{"a.jsonl", "--store", "s.jsonl", "--v"},
			[]string{"a.jsonl"}, "s.jsonl", "", true, map[string]Source{"store": FromFlag, "v": FromFlag}},
		{"bool set to false", []string{"a.jsonl", "-v=false"},
			[]string{"a.jsonl"}, "default.jsonl", "", false, map[string]Source{"v": FromFlag}},
		{"bool takes no value", []string{"-v", "false"},
			[]string{"false"}, "default.jsonl", "", true, map[string]Source{"v": FromFlag}},
		{"double dash ends flags", []string{"-v", "--", "-store", "s.jsonl", "--", "-h"},
			[]string{"-store", "s.jsonl", "--", "-h"}, "default.jsonl", "", true, map[string]Source{"v": FromFlag}},
		{"double dash after operand", []string{"a.jsonl", "--", "-v"},
			[]string{"a.jsonl", "-v"}, "default.jsonl", "", false, map[string]Source{}},
		{"lone dash", []string{"-", "-v", "b.jsonl"},
			[]string{"-", "b.jsonl"}, "default.jsonl", "", true, map[string]Source{"v": FromFlag}},
		{"value that starts with a dash", []string{"a.jsonl", "-rejects", "-v"},
			[]string{"a.jsonl"}, "default.jsonl", "-v", false, map[string]Source{"rejects": FromFlag}},
		{"double dash as value", []string{"-store", "--", "a.jsonl", "-v"},
			[]string{"a.jsonl"}, "--", "", true, map[string]Source{"store": FromFlag, "v": FromFlag}},
		{"flags only", []string{"-v"},
			nil, "default.jsonl", "", true, map[string]Source{"v": FromFlag}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFlags()
			args := slices.Clone(tt.args)
			sources, err := ParseFlagSources(f.fs, args, testEnvName, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}

			if got := f.fs.Args(); !slices.Equal(got, tt.operands) {
				t.Errorf("operands %q, want %q", got, tt.operands)
			}
			if f.store != tt.store {
				t.Errorf("store = %q, want %q", f.store, tt.store)
			}
			if f.rejects != tt.rejects {
				t.Errorf("rejects = %q, want %q", f.rejects, tt.rejects)
			}
			if f.verbose != tt.verbose {
				t.Errorf("v = %v, want %v", f.verbose, tt.verbose)
			}
			if !maps.Equal(sources, tt.sources) {
				t.Errorf("sources = %v, want %v", sources, tt.sources)
			}
			if !slices.Equal(args, tt.args) {
				t.Errorf("parsing changed the caller's args to %q", args)
			}
		})
	}
}

// TestParseFlagSourcesAfterOperands repeats the precedence test with every
// flag after the operands.
func TestParseFlagSourcesAfterOperands(t *testing.T) {
	config := writeConfig(t, "store config.jsonl\nrejects config.rejects\nlock-timeout 1m\nmax-depth 3\n")
	env := map[string]string{
		"TLSRPT_STORE":        "env.jsonl",
		"TLSRPT_TEST_REJECTS": "env.rejects",
	}
	f := newTestFlags()
	args := []string{"a.jsonl", "-", "-config", config, "b.jsonl", "-store", "flag.jsonl", "-max-depth=5"}
	sources, err := ParseFlagSources(f.fs, args, testEnvName, func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}

	if f.store != "flag.jsonl" {
		t.Errorf("store = %q, want the flag's value", f.store)
	}
	if f.depth != 5 {
		t.Errorf("max-depth = %d, want the flag's 5", f.depth)
	}
	if f.rejects != "env.rejects" {
		t.Errorf("rejects = %q, want the value of TLSRPT_TEST_REJECTS", f.rejects)
	}
	if f.timeout != time.Minute {
		t.Errorf("lock-timeout = %v, want the config file's 1m", f.timeout)
	}
	want := map[string]Source{"config": FromFlag, "store": FromFlag, "max-depth": FromFlag, "rejects": FromEnv, "lock-timeout": FromConfig}
	if !maps.Equal(sources, want) {
		t.Errorf("sources = %v, want %v", sources, want)
	}
	if got, want := f.fs.Args(), []string{"a.jsonl", "-", "b.jsonl"}; !slices.Equal(got, want) {
		t.Errorf("operands %q, want %q", got, want)
	}
}

func TestParseFlagsHelpAfterOperand(t *testing.T) {
	f := newTestFlags()
	var output bytes.Buffer
	f.fs.SetOutput(&output)
	err := ParseFlagsEnv(f.fs, []string{"a.jsonl", "-h"}, testEnvName)

	if !errors.Is(err, flag.ErrHelp) || Code(err) != ExitOK {
		t.Errorf("error %v with exit code %d, want flag.ErrHelp with 0", err, Code(err))
	}
	if !strings.Contains(output.String(), "-lock-timeout") {
		t.Errorf("-h after an operand did not print the usage:\n%s", output.String())
	}
}

func TestCommandFlagsSorted(t *testing.T) {
	for _, program := range []string{"tlsrpt-extract", "tlsrpt-fetch", "tlsrpt-ingest", "tlsrpt-summary"} {
		names := CommandFlags(program)
		if len(names) == 0 {
			t.Errorf("no flags listed for %s", program)
		}
		if !slices.IsSorted(names) {
			t.Errorf("flags of %s are not sorted: %v", program, names)
		}
	}
}
