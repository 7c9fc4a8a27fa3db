package cli

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// usageFlags returns a flag set with one flag of each kind the commands
// use: a boolean, a string with a placeholder and no default, a duration
// with a default, and an int without a placeholder.
func usageFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("v", false, "log each report")
	fs.String("rejects", "", "append rejected reports to `file`")
	fs.Duration("lock-timeout", 30*time.Second, "maximum `duration` to wait for the lock")
	fs.Int("workers", 0, "workers in parallel; 0 means one per CPU")
	return fs
}

func TestPrintUsage(t *testing.T) {
	tests := []struct {
		name  string
		usage Usage
		want  string
	}{
		{
			name:  "synopsis only",
			usage: Usage{Synopsis: "prog [flags]"},
			want:  "Usage: prog [flags]\n",
		},
		{
			name: "description paragraphs",
			usage: Usage{
				Synopsis: "prog",
				Description: `
First paragraph,
joined into one line.

Second paragraph.`,
			},
			want: "Usage: prog\n\nFirst paragraph, joined into one line.\n\nSecond paragraph.\n",
		},
		{
			name:  "flags with default environment names",
			usage: Usage{Synopsis: "prog [flags]", Flags: usageFlags()},
			want: `Usage: prog [flags]

Flags:
  -lock-timeout DURATION
      maximum DURATION to wait for the lock
      env TLSRPT_LOCK_TIMEOUT, default 30s
  -rejects FILE
      append rejected reports to FILE
      env TLSRPT_REJECTS, no default
  -v
      log each report
      env TLSRPT_V, default false
  -workers INT
      workers in parallel; 0 means one per CPU
      env TLSRPT_WORKERS, default 0

Precedence: a flag on the command line wins over its environment variable,
which wins over the line of the same name in the -config file.
`,
		},
		{
			name: "flags with own environment names",
			usage: Usage{
				Synopsis: "prog",
				Flags:    usageFlags(),
				EnvName: func(flagName string) string {
					if flagName == "rejects" {
						return "IMAP_REJECTS"
					}
					return EnvVar("TLSRPT", flagName)
				},
			},
			want: `Usage: prog

Flags:
  -lock-timeout DURATION
      maximum DURATION to wait for the lock
      env TLSRPT_LOCK_TIMEOUT, default 30s
  -rejects FILE
      append rejected reports to FILE
      env IMAP_REJECTS, no default
  -v
      log each report
      env TLSRPT_V, default false
  -workers INT
      workers in parallel; 0 means one per CPU
      env TLSRPT_WORKERS, default 0

Precedence: a flag on the command line wins over its environment variable,
which wins over the line of the same name in the -config file.
`,
		},
		{
			name: "exit codes sorted and wrapped",
			usage: Usage{
				Synopsis: "prog",
				ExitCodes: []ExitCode{
					{Code: ExitTempFail, Meaning: "the store could not be locked within -lock-timeout; nothing of this run was stored, try again later"},
					{Code: ExitOK, Meaning: "done"},
					{Code: ExitUsage, Meaning: "invalid flags or arguments"},
				},
			},
			want: `Usage: prog

Exit status:
  0   done
  2   invalid flags or arguments
  75  the store could not be locked within -lock-timeout; nothing of this run
      was stored, try again later
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			PrintUsage(&buf, tt.usage)
			if got := buf.String(); got != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPrintUsageWidth(t *testing.T) {
	long := strings.Repeat("a sentence that goes on, ", 20)
	longWord := "/var/lib/" + strings.Repeat("x", UsageWidth)
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.String("store", "", "store `file`: "+long)
	fs.String("path", longWord, "a default longer than a line")

	var buf bytes.Buffer
	PrintUsage(&buf, Usage{
		Synopsis:    "prog [flags]",
		Description: long + " " + longWord + " " + long,
		Flags:       fs,
		ExitCodes:   []ExitCode{{Code: ExitDataErr, Meaning: long}},
	})

	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if strings.Contains(line, longWord) {
			if want := strings.TrimSpace(line); want != longWord && want != "default "+longWord {
				t.Errorf("line %d holds the long word and more: %q", i+1, line)
			}
			continue
		}
		if n := utf8.RuneCountInString(line); n > UsageWidth {
			t.Errorf("line %d has %d columns, want at most %d: %q", i+1, n, UsageWidth, line)
		}
		if strings.HasSuffix(line, " ") {
			t.Errorf("line %d ends with a space: %q", i+1, line)
		}
	}
}

func TestEnvVar(t *testing.T) {
	tests := []struct {
		prefix, flagName, want string
	}{
		{"TLSRPT", "store", "TLSRPT_STORE"},
		{"TLSRPT", "lock-timeout", "TLSRPT_LOCK_TIMEOUT"},
		{"tlsrpt", "max.size/bytes", "TLSRPT_MAX_SIZE_BYTES"},
	}
	for _, tt := range tests {
		if got := EnvVar(tt.prefix, tt.flagName); got != tt.want {
			t.Errorf("EnvVar(%q, %q) = %q, want %q", tt.prefix, tt.flagName, got, tt.want)
		}
	}
}

// TestEnvVarMatchesParseFlags checks that the name -h shows is the one
// ParseFlags reads.
func TestEnvVarMatchesParseFlags(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeout := fs.Duration("lock-timeout", time.Second, "")
	fs.String("config", "", "")

	t.Setenv(EnvVar("TLSRPT", "lock-timeout"), "2m")
	if err := ParseFlags(fs, nil, "TLSRPT"); err != nil {
		t.Fatal(err)
	}
	if *timeout != 2*time.Minute {
		t.Errorf("-lock-timeout = %v from %s, want 2m", *timeout, EnvVar("TLSRPT", "lock-timeout"))
	}
}
