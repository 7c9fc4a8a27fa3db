package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/summary"
)

// errFailuresFound makes the command exit 1 after printing the failures;
// main prints nothing more for it.
var errFailuresFound = errors.New("failed sessions found")

// command holds what tests replace: the clock for durations such as
// "-since 7d", the environment for NO_COLOR and the terminal check.
type command struct {
	now        func() time.Time
	getenv     func(string) string
	isTerminal func(io.Writer) bool
}

type options struct {
	store   string
	since   string
	until   string
	json    bool
	verbose bool
	debug   bool
	period  summary.Period
	inputs  []string // FILE arguments; none means the store
}

func (c *command) run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	opts, err := c.parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := cli.NewLogger(stderr, program, opts.verbose, opts.debug)

	sum := summary.New(opts.period)
	counts, err := c.readInputs(ctx, sum, opts, stdin, log)
	if err != nil {
		return err
	}
	result := sum.Result()
	result.UnreadableLines = counts.lines
	result.UnreadableInputs = counts.inputs

	if err := c.write(stdout, result, opts); err != nil {
		return fmt.Errorf("write the summary: %w", err)
	}
	return exitStatus(result, log)
}

// unreadableCounts counts the inputs that could not be opened and the
// lines that were not usable reports.
type unreadableCounts struct {
	inputs int64
	lines  int64
}

// exitStatus returns nil, errFailuresFound or an unreadable-input error.
// Failed sessions take precedence over unreadable lines: exit status 1 is
// what monitors act on, and the lines are still named on standard error.
func exitStatus(result *summary.Result, log *slog.Logger) error {
	unreadable := unreadableError(result)
	if result.HasFailures() {
		if unreadable != nil {
			log.Error(unreadable.Error())
		}
		return cli.Exit(cli.ExitFailure, errFailuresFound)
	}
	if unreadable != nil {
		return cli.Exit(cli.ExitDataErr, unreadable)
	}
	return nil
}

func (c *command) write(stdout io.Writer, result *summary.Result, opts options) error {
	if opts.json {
		return summary.WriteJSON(stdout, result)
	}
	return summary.WriteText(stdout, result, summary.TextOptions{
		Verbose: opts.verbose,
		Color:   c.useColor(stdout),
	})
}

// useColor follows the NO_COLOR convention (no-color.org): any non-empty
// value turns colour off. Colour is used only on a terminal that is not
// TERM=dumb.
func (c *command) useColor(stdout io.Writer) bool {
	if c.getenv("NO_COLOR") != "" || c.getenv("TERM") == "dumb" {
		return false
	}
	return c.isTerminal(stdout)
}

// readInputs reads the FILE arguments, or the store when there are none.
// A file that cannot be opened is logged and counted, and the next one is
// read.
func (c *command) readInputs(ctx context.Context, sum *summary.Summary, opts options, stdin io.Reader, log *slog.Logger) (unreadableCounts, error) {
	inputs := opts.inputs
	isStore := len(inputs) == 0
	if isStore {
		inputs = []string{opts.store}
	}

	var unreadable unreadableCounts
	for _, name := range inputs {
		stats, err := c.readInput(ctx, sum, name, isStore, stdin, log)
		var openErr *os.PathError
		if errors.As(err, &openErr) && stats.Lines == 0 {
			log.Error("input skipped", "input", name, "err", err)
			unreadable.inputs++
			continue
		}
		if err != nil {
			return unreadable, err
		}
		unreadable.lines += stats.Unreadable
		log.Info("input read", "input", name, "lines", stats.Lines, "in-period", stats.Added,
			"outside-period", stats.Outside, "unreadable", stats.Unreadable)
	}
	return unreadable, nil
}

func (c *command) readInput(ctx context.Context, sum *summary.Summary, name string, isStore bool, stdin io.Reader, log *slog.Logger) (summary.ReadStats, error) {
	if name == "-" && !isStore {
		return sum.Read(ctx, summary.Input{Name: "-", R: stdin}, log)
	}
	f, err := os.Open(name)
	if err != nil {
		if isStore && errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%w; set the store with -store or TLSRPT_STORE", err)
		}
		return summary.ReadStats{}, err
	}
	defer f.Close()
	return sum.Read(ctx, summary.Input{Name: name, R: f, Store: isStore}, log)
}

func (c *command) parseFlags(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := newFlagSet(&opts, stderr)
	if err := cli.ParseFlags(fs, args, "TLSRPT"); err != nil {
		return opts, err
	}
	opts.inputs = fs.Args()

	now := c.now()
	var err error
	if opts.since != "" {
		if opts.period.Since, err = summary.ParseBound(opts.since, now, false); err != nil {
			return opts, cli.InvalidFlags(program, fmt.Errorf("-since: %w", err))
		}
	}
	if opts.until != "" {
		if opts.period.Until, err = summary.ParseBound(opts.until, now, true); err != nil {
			return opts, cli.InvalidFlags(program, fmt.Errorf("-until: %w", err))
		}
	}
	if !opts.period.Since.IsZero() && !opts.period.Until.IsZero() && !opts.period.Since.Before(opts.period.Until) {
		return opts, cli.InvalidFlags(program, fmt.Errorf("-since %s is not before -until %s: the period from %s to %s is empty",
			opts.since, opts.until, opts.period.Since.Format(time.RFC3339), opts.period.Until.Format(time.RFC3339)))
	}
	return opts, nil
}

func newFlagSet(opts *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.StringVar(&opts.store, "store", "tlsrpt.jsonl",
		"read the report store `file` when no input is named on the command line: one report per line, as tlsrpt-ingest writes it")
	fs.StringVar(&opts.since, "since", "",
		"read only reports whose date range ends after `TIME`: a date (YYYY-MM-DD, from its midnight UTC), an RFC 3339 time, or a duration before now (7d, 24h)")
	fs.StringVar(&opts.until, "until", "",
		"read only reports whose date range starts before `TIME`: a date (YYYY-MM-DD, up to its end), an RFC 3339 time, or a duration before now")
	fs.BoolVar(&opts.json, "json", false, "write the whole summary as one JSON document (see docs/summary-json.md)")
	fs.BoolVar(&opts.verbose, "v", false,
		"write everything: a header, the successful policies, reporters and per-day totals; log each input read")
	fs.BoolVar(&opts.debug, "debug", false, "log debug messages")
	fs.String("config", "", "read flags from `file`, one \"name value\" per line; lines for other tlsrpt commands' flags are ignored")
	fs.Usage = func() { writeUsage(stderr, fs) }
	return fs
}

func writeUsage(w io.Writer, fs *flag.FlagSet) {
	cli.PrintUsage(w, cli.Usage{
		Synopsis: program + " [flags] [FILE|-]...",
		Description: `
Summarises SMTP TLS reports (RFC 8460). Without FILE arguments the store is
read; with them, each FILE ("-" for standard input) is read instead. Input is
one report per line, as tlsrpt-extract and tlsrpt-ingest write it.

By default only policies with failed sessions are printed, with the details
of the failures, and nothing at all when no session failed.`,
		Flags: fs,
		ExitCodes: []cli.ExitCode{
			{Code: cli.ExitOK, Meaning: "no failed sessions"},
			{Code: cli.ExitFailure, Meaning: "failed sessions were found and printed (also when some input was " +
				"unreadable), or the output could not be written"},
			{Code: cli.ExitUsage, Meaning: "invalid flags or arguments"},
			{Code: cli.ExitDataErr, Meaning: "some input was unreadable (named on standard error by input and " +
				"line); no failed sessions in the rest"},
		},
	})
}
