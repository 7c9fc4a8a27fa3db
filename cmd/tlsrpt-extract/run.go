package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/extract"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
	"github.com/tlsrpt/tlsrpt/internal/report"
)

const program = "tlsrpt-extract"

type config struct {
	verbose        bool
	debug          bool
	rejects        string
	skipped        string
	maxMessageSize int64
	maxReportSize  int64
	maxDepth       int
	workers        int
}

func newFlagSet(cfg *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&cfg.verbose, "v", false, "log each report found and each message skipped for carrying no report")
	fs.BoolVar(&cfg.debug, "debug", false, "log the parsed detail of every message and report (implies -v)")
	fs.StringVar(&cfg.rejects, "rejects", "", "append every message that gave an error to this mbox `file`")
	fs.StringVar(&cfg.skipped, "skipped", "", "append every message that carries no report, such as a cron mail, to this mbox `file`")
	fs.Int64Var(&cfg.maxMessageSize, "max-message-size", extract.DefaultMaxMessageSize, "maximum size in `bytes` of one message or one non-mbox input")
	fs.Int64Var(&cfg.maxReportSize, "max-report-size", extract.DefaultMaxReportSize, "maximum decompressed size in `bytes` of the reports of one message or file together")
	fs.IntVar(&cfg.maxDepth, "max-depth", extract.DefaultMaxDepth, "maximum MIME nesting `depth`, forwarded messages included")
	fs.IntVar(&cfg.workers, "workers", 0, "`number` of messages processed in parallel; 0 means one per CPU")
	fs.String("config", "", "read flags from `file`, one \"name value\" per line; lines for other tlsrpt commands' flags are ignored")
	fs.Usage = func() { usage(fs) }
	return fs
}

func usage(fs *flag.FlagSet) {
	cli.PrintUsage(fs.Output(), cli.Usage{
		Synopsis: program + " [flags] [FILE|DIR|-]...",
		Description: `
Reads SMTP TLS reports (RFC 8460) and writes one normalised report per line
(NDJSON) on standard output. Without arguments it reads standard input.
Each input is recognised by its content: an mbox (mboxrd or mboxo, LF or
CRLF), a single RFC 5322 message, an RFC 8460 JSON report, gzip-compressed
JSON or a zip archive of .json reports. A directory is read as a Maildir
(cur/ and new/) or as a folder of such files.`,
		Flags:   fs,
		EnvName: envName,
		ExitCodes: []cli.ExitCode{
			{Code: cli.ExitOK, Meaning: "every input was read (messages without a report are skipped and counted)"},
			{Code: cli.ExitFailure, Meaning: "reading an input, or writing the output, the -rejects or the -skipped file, failed"},
			{Code: cli.ExitUsage, Meaning: "invalid flags or arguments"},
			{Code: cli.ExitDataErr, Meaning: "some input could not be used; every report found was written"},
		},
	})
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet(&cfg, stderr)
	if err := cli.ParseFlagsEnv(fs, args, envName); err != nil {
		return err
	}
	if err := checkLimits(&cfg); err != nil {
		return cli.InvalidFlags(program, err)
	}
	log := cli.NewLogger(stderr, program, cfg.verbose, cfg.debug)

	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}

	var rejects, skipped *mboxAppender
	if cfg.rejects != "" {
		var err error
		if rejects, err = openMboxAppender("-rejects", cfg.rejects); err != nil {
			return cli.Exit(cli.ExitFailure, err)
		}
	}
	if cfg.skipped != "" {
		var err error
		if skipped, err = openMboxAppender("-skipped", cfg.skipped); err != nil {
			if rejects != nil {
				rejects.close()
			}
			return cli.Exit(cli.ExitFailure, err)
		}
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	var st stats
	opts := extract.Options{
		MaxMessageSize: cfg.maxMessageSize,
		MaxReportSize:  cfg.maxReportSize,
		MaxDepth:       cfg.maxDepth,
		Workers:        cfg.workers,
		Encode:         true,
		KeepRaw:        rejects != nil || skipped != nil,
	}
	err := extract.Run(ctx, opts, inputs, stdin, func(res *extract.Result) error {
		st.count(res)
		if _, err := out.Write(res.Lines); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		for _, r := range res.Reports {
			log.Info(fmt.Sprintf("found report %s from %s", r.ReportID, r.OrganizationName))
			if log.Enabled(ctx, slog.LevelDebug) {
				logReport(log, res, r)
			}
		}
		if res.Skipped {
			log.Info("skipped a message that carries no report", "input", res.Input, "message", res.Message,
				"message-id", res.MessageID, "subject", res.Subject)
			if skipped != nil && res.Raw != nil {
				if err := skipped.write(res); err != nil {
					return err
				}
			}
		}
		if len(res.Errors) > 0 && rejects != nil && res.Message > 0 && res.Raw == nil && res.Spilled == nil {
			// A message over the size limit that could not be copied:
			// exit status 1, not 65, because it is not in the rejects mbox.
			logErrors(log, res, "")
			st.ioErrors++
			return nil
		}
		if len(res.Errors) > 0 && rejects != nil && (res.Raw != nil || res.Spilled != nil) {
			if err := rejects.write(res); err != nil {
				logErrors(log, res, "")
				return err
			}
			logErrors(log, res, cfg.rejects)
			return nil
		}
		logErrors(log, res, "")
		return nil
	})
	if flushErr := out.Flush(); err == nil && flushErr != nil {
		err = fmt.Errorf("writing output: %w", flushErr)
	}
	for _, w := range []*mboxAppender{rejects, skipped} {
		if w == nil {
			continue
		}
		if closeErr := w.close(); err == nil && closeErr != nil {
			err = closeErr
		}
	}
	log.Info("done", "reports", st.reports, "messages", st.messages, "skipped", st.skipped,
		"errors", st.errors, "rejected", rejectedCount(rejects))
	warnNoReport(log, st, cfg.verbose || cfg.debug, cfg.skipped)
	switch {
	case err != nil:
		return cli.Exit(cli.ExitFailure, err)
	case st.ioErrors > 0:
		return cli.Exit(cli.ExitFailure, fmt.Errorf("%d input(s) could not be read", st.ioErrors))
	case st.errors > 0:
		return cli.Exit(cli.ExitDataErr, fmt.Errorf("%d report(s) or input(s) could not be used; %d report(s) written", st.errors, st.reports))
	}
	return nil
}

type stats struct {
	messages, reports, skipped, errors, ioErrors int
}

func (s *stats) count(res *extract.Result) {
	if res.Message > 0 {
		s.messages++
	}
	s.reports += len(res.Reports)
	s.errors += len(res.Errors)
	if res.IOErr != nil {
		s.ioErrors++
	}
	if res.Skipped {
		s.skipped++
	}
}

// logReport logs the parsed detail of one report at debug level.
func logReport(log *slog.Logger, res *extract.Result, r *report.Report) {
	src := r.Source
	log.Debug("report", "report-id", r.ReportID, "organization", r.OrganizationName,
		"start", r.Start.Format(time.RFC3339), "end", r.End.Format(time.RFC3339),
		"input", src.Input, "message", src.Message, "message-id", src.MessageID,
		"mime-part", src.Part, "filename", src.Filename, "sha256", src.SHA256)
	for i, p := range r.Policies {
		log.Debug("policy", "report-id", r.ReportID, "index", i, "policy-type", p.Type,
			"policy-domain", p.Domain, "successful", p.Successful, "failed", p.Failed,
			"failure-details", len(p.FailureDetails))
	}
	for _, w := range r.Warnings {
		log.Debug("warning", "report-id", r.ReportID, "code", w.Code, "path", w.Path, "message", w.Message)
	}
}

// mboxAppender appends messages to the mbox file of -rejects or -skipped.
type mboxAppender struct {
	flag  string // "-rejects" or "-skipped", for errors
	f     *os.File
	w     *mbox.Writer
	count int
}

func openMboxAppender(flagName, name string) (*mboxAppender, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s file: %w", flagName, cli.ExplainOpenError(program, flagName, name, err, "no input was read"))
	}
	return &mboxAppender{flag: flagName, f: f, w: mbox.NewWriter(f)}, nil
}

func (rw *mboxAppender) write(res *extract.Result) error {
	postmark := res.Postmark
	if postmark == "" {
		postmark = mbox.Postmark("MAILER-DAEMON", time.Now())
	}
	var err error
	if sp := res.Spilled; sp != nil {
		if _, err := sp.File.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("reading back %s: message %d for %s: %w", res.Input, res.Message, rw.flag, err)
		}
		err = rw.w.WriteMessageFrom(postmark, sp.File, sp.CRLF)
	} else {
		err = rw.w.WriteMessage(postmark, res.Raw)
	}
	// Flushed at once: the log line that follows reports the message as
	// kept, and a broken pipe on standard output ends the process without
	// running close.
	if err == nil {
		err = rw.w.Flush()
	}
	if err != nil {
		return fmt.Errorf("writing %s file %s: %w", rw.flag, rw.f.Name(), err)
	}
	rw.count++
	return nil
}

// close flushes and syncs the file, so that a message a mail filter
// counts as delivered is on disk, and closes it.
func (rw *mboxAppender) close() error {
	err := rw.w.Flush()
	if err == nil && rw.count > 0 {
		err = rw.f.Sync()
	}
	if closeErr := rw.f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("writing %s file %s: %w", rw.flag, rw.f.Name(), err)
	}
	return nil
}

func rejectedCount(rw *mboxAppender) int {
	if rw == nil {
		return 0
	}
	return rw.count
}
