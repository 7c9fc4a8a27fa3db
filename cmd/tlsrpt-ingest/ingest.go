package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/badlines"
	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/report"
	"github.com/tlsrpt/tlsrpt/internal/store"
)

const (
	program   = "tlsrpt-ingest"
	envPrefix = "TLSRPT"
)

type config struct {
	storePath   string
	rejectsPath string
	dryRun      bool
	verbose     bool
	debug       bool
	lockTimeout time.Duration
}

// counts tallies what became of the input lines.
type counts struct {
	lines, stored, repeats, conflicts, bad int
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := cli.NewLogger(stderr, program, cfg.verbose, cfg.debug)

	st, err := store.Open(ctx, cfg.storePath, store.Options{
		DryRun:      cfg.dryRun,
		LockTimeout: cfg.lockTimeout,
		Logger:      log,
	})
	if err != nil {
		return cli.Exit(cli.ExitTempFail, explainOpenError(cfg.storePath, err))
	}
	defer st.Close()

	out := bufio.NewWriterSize(stdout, 64<<10)
	in := &ingester{cfg: cfg, log: log, store: st, out: out,
		bad: badlines.New(log, "standard input", "input line not stored")}
	readErr := in.readAll(ctx, stdin)
	if errors.Is(readErr, errStore) {
		return cli.Exit(cli.ExitTempFail, readErr)
	}

	if err := st.Commit(); err != nil {
		return cli.Exit(cli.ExitTempFail, fmt.Errorf("%w; nothing of this run was stored, try again later", err))
	}
	if !cfg.dryRun {
		if _, err := io.Copy(out, st.Appended()); err != nil {
			return cli.Exit(cli.ExitFailure, fmt.Errorf("copy new lines to standard output: %w", err))
		}
	}
	if err := out.Flush(); err != nil {
		return cli.Exit(cli.ExitFailure, fmt.Errorf("write standard output: %w", err))
	}
	if err := in.writeRejects(); err != nil {
		return cli.Exit(cli.ExitTempFail, fmt.Errorf("%w; the new reports are stored, a rerun appends the conflicting ones again", err))
	}

	c := in.counts
	log.Info("done", "lines", c.lines, "stored", c.stored, "repeats", c.repeats, "conflicts", c.conflicts, "invalid", c.bad)
	if readErr != nil {
		return cli.Exit(cli.ExitFailure, fmt.Errorf("%w; the %d reports read before were handled", readErr, c.stored+c.repeats+c.conflicts))
	}
	if c.bad > 0 {
		return cli.Exit(cli.ExitDataErr, fmt.Errorf("%d of %d input lines are not RFC 8460 reports and were not stored; the messages above name %s",
			c.bad, c.lines, namedLines(c.bad)))
	}
	return nil
}

// namedLines returns which of the bad lines the log names one by one.
func namedLines(bad int) string {
	if bad > badlines.MaxLogged {
		return fmt.Sprintf("the first %d", badlines.MaxLogged)
	}
	return "them"
}

// errStore marks a failed store write, after which nothing of the run is
// stored.
var errStore = errors.New("store write failed")

type ingester struct {
	cfg      config
	log      *slog.Logger
	store    *store.Store
	out      *bufio.Writer
	rejected []byte // lines for -rejects, written after the store is committed
	counts   counts
	bad      *badlines.Reporter
}

// readAll reads the input lines and adds each report to the store. Bad
// lines are logged and counted. It returns an error wrapping errStore when
// the store cannot be written, or when ctx is cancelled, and any other
// error when the input cannot be read.
func (in *ingester) readAll(ctx context.Context, stdin io.Reader) error {
	defer in.bad.Close()
	lines := store.NewReader(stdin)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: interrupted: %w", errStore, err)
		}
		line, err := lines.Next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err == nil, errors.Is(err, store.ErrTornLine): // the last input line may lack "\n"
		case errors.Is(err, store.ErrLineTooLong):
			in.counts.lines++
			in.counts.bad++
			in.bad.Report(line.Number, line.Data, err)
			continue
		default:
			return fmt.Errorf("read standard input after line %d: %w", line.Number, err)
		}

		data := bytes.TrimSpace(line.Data)
		if len(data) == 0 {
			continue
		}
		in.counts.lines++
		if err := in.ingest(line.Number, data); err != nil {
			return err
		}
	}
}

func (in *ingester) ingest(lineNumber int, data []byte) error {
	r, err := report.Parse(data, report.Hints{})
	if err != nil {
		in.counts.bad++
		in.bad.Report(lineNumber, data, err)
		return nil
	}

	res, err := in.store.Add(r)
	if err != nil {
		return fmt.Errorf("%w: %w; nothing of this run was stored, try again later", errStore, err)
	}
	attrs := []any{"line", lineNumber, "organization-name", r.OrganizationName, "report-id", r.ReportID,
		"start", r.Start.Format(time.RFC3339), "end", r.End.Format(time.RFC3339)}

	switch res.Status {
	case store.Stored:
		in.counts.stored++
		if in.cfg.dryRun {
			in.log.Info("would store", attrs...)
			if _, err := in.out.Write(res.Line); err != nil {
				return fmt.Errorf("write standard output: %w", err)
			}
			return nil
		}
		in.log.Info("stored", attrs...)
	case store.Repeat:
		in.counts.repeats++
		in.log.Info("skipped repeat", attrs...)
	case store.Conflict:
		in.counts.conflicts++
		attrs = append(attrs, "stored-source", formatSource(res.Existing), "new-source", formatSource(r.Source))
		if in.cfg.rejectsPath != "" {
			attrs = append(attrs, "rejects", in.cfg.rejectsPath)
			in.rejected = append(r.AppendJSON(in.rejected), '\n')
		}
		in.log.Warn("conflict: a report with the same organization-name, report-id and date-range "+
			"but other content is stored; kept the stored one", attrs...)
	}
	return nil
}

// writeRejects appends the conflicting reports to the -rejects file and
// syncs it. A dry run writes nothing.
func (in *ingester) writeRejects() error {
	if len(in.rejected) == 0 || in.cfg.dryRun {
		return nil
	}
	f, err := os.OpenFile(in.cfg.rejectsPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open rejects file: %w", cli.ExplainOpenError(program, "rejects", in.cfg.rejectsPath, err, "the conflicting reports were not kept"))
	}
	_, err = f.Write(in.rejected)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to rejects file %s: %w", in.cfg.rejectsPath, err)
	}
	return nil
}

// formatSource writes a report's _source as name=value pairs, or "unknown".
func formatSource(src *report.Source) string {
	if src == nil {
		return "unknown"
	}
	var parts []string
	add := func(name, value string) {
		if value != "" {
			parts = append(parts, name+"="+value)
		}
	}
	add("input", src.Input)
	if src.Message > 0 {
		add("message", strconv.Itoa(src.Message))
	}
	add("message-id", src.MessageID)
	add("mime-part", src.Part)
	add("filename", src.Filename)
	add("report-domain", src.ReportDomain)
	add("sha256", src.SHA256)
	if len(parts) == 0 {
		return "unknown"
	}
	return strings.Join(parts, ",")
}
