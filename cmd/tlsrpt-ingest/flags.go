package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := newFlagSet(&cfg, stderr)
	if err := cli.ParseFlagsEnv(fs, args, envName); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, cli.InvalidFlags(program, fmt.Errorf("unexpected argument %q: reports are read from standard input", fs.Arg(0)))
	}
	return cfg, nil
}

func newFlagSet(cfg *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.StringVar(&cfg.storePath, "store", "tlsrpt.jsonl", "JSONL store `file` that new reports are appended to; its index is FILE.idx and torn lines go to FILE.torn")
	fs.StringVar(&cfg.rejectsPath, "rejects", "", "append reports that conflict with a stored one to `file`")
	fs.BoolVar(&cfg.dryRun, "n", false, "dry run: write what would be stored to standard output and change no file")
	fs.BoolVar(&cfg.verbose, "v", false, "log one line per report stored or skipped")
	fs.BoolVar(&cfg.debug, "debug", false, "log debugging detail")
	fs.DurationVar(&cfg.lockTimeout, "lock-timeout", 30*time.Second, "maximum `duration` to wait for the store lock, such as 30s or 2m, before exiting with status 75")
	fs.String("config", "", "read flags from `file`, one \"name value\" pair per line; lines for other tlsrpt commands' flags are ignored")

	fs.Usage = func() { writeUsage(stderr, fs) }
	return fs
}

// envName returns the environment variable of a flag: TLSRPT_ and its
// name, except -rejects, whose NDJSON file is not tlsrpt-extract's mbox of
// the same flag name, so the two commands cannot share one variable.
func envName(flagName string) string {
	if flagName == "rejects" {
		return "TLSRPT_INGEST_REJECTS"
	}
	return cli.EnvVar(envPrefix, flagName)
}
