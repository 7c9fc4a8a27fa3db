package cli

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain error", errors.New("disk on fire"), ExitFailure},
		{"exit error", Exit(ExitDataErr, errors.New("bad line")), ExitDataErr},
		{"wrapped exit error", errorsJoin(Exit(ExitTempFail, errors.New("locked"))), ExitTempFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func errorsJoin(err error) error {
	return errors.Join(errors.New("context"), err)
}

// newFlags returns a flag set with a -store and a -config flag, as the
// commands define them.
func newFlags() (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	store := fs.String("store", "default.jsonl", "store file")
	fs.String("config", "", "config file")
	return fs, store
}

func TestParseFlagsPrecedence(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(config, []byte("store from-config.jsonl\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"default", nil, "", "default.jsonl"},
		{"config file", []string{"-config", config}, "", "from-config.jsonl"},
		{"environment over config", []string{"-config", config}, "from-env.jsonl", "from-env.jsonl"},
		{"flag over environment", []string{"-config", config, "-store", "from-flag.jsonl"}, "from-env.jsonl", "from-flag.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TLSRPT_STORE", tt.env)
			if tt.env == "" {
				os.Unsetenv("TLSRPT_STORE")
			}
			fs, store := newFlags()
			if err := ParseFlags(fs, tt.args, "TLSRPT"); err != nil {
				t.Fatal(err)
			}
			if *store != tt.want {
				t.Errorf("store = %q, want %q", *store, tt.want)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"-h"}, ExitOK},
		{"unknown flag", []string{"-nope"}, ExitUsage},
		{"missing config file", []string{"-config", "/nonexistent/tlsrpt.conf"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := newFlags()
			err := ParseFlags(fs, tt.args, "TLSRPT")
			if err == nil {
				t.Fatal("ParseFlags returned no error")
			}
			if got := Code(err); got != tt.want {
				t.Errorf("exit code = %d, want %d (err: %v)", got, tt.want, err)
			}
		})
	}
}

func TestLoggerLevels(t *testing.T) {
	tests := []struct {
		name           string
		verbose, debug bool
		want           string
	}{
		{"quiet", false, false, "prog: warning: disk slow\nprog: error: disk gone path=/var/x\n"},
		{"verbose", true, false, "prog: found report id=\"a b\"\nprog: warning: disk slow\nprog: error: disk gone path=/var/x\n"},
		{"debug", false, true, "prog: detail\nprog: found report id=\"a b\"\nprog: warning: disk slow\nprog: error: disk gone path=/var/x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := NewLogger(&buf, "prog", tt.verbose, tt.debug)
			log.Debug("detail")
			log.Info("found report", "id", "a b")
			log.Warn("disk slow")
			log.With("path", "/var/x").Error("disk gone")
			if buf.String() != tt.want {
				t.Errorf("log output:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
		})
	}
}

func TestPrintError(t *testing.T) {
	errQuiet := errors.New("failures found")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"help", Exit(ExitOK, flag.ErrHelp), ""},
		{"quiet", Exit(ExitFailure, errQuiet), ""},
		{"flag error", InvalidFlags("prog", errors.New("flag provided but not defined: -x")), "prog: invalid flags: flag provided but not defined: -x; run prog -h for usage\n"},
		{"other", Exit(ExitTempFail, errors.New("store locked")), "prog: error: store locked\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			PrintError(&buf, "prog", tt.err, errQuiet)
			if buf.String() != tt.want {
				t.Errorf("output %q, want %q", buf.String(), tt.want)
			}
		})
	}
}
