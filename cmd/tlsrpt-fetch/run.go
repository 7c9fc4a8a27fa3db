package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/tlsrpt/tlsrpt/internal/cli"
	"github.com/tlsrpt/tlsrpt/internal/fetch"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

func run(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	return runEnv(ctx, args, os.Getenv, stdout, stderr)
}

// runEnv is run with the environment lookup as a parameter, so tests do
// not depend on the caller's IMAP_ variables.
func runEnv(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet(&cfg, stderr)
	sources, err := parseFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	opts, query, err := sessionOptions(&cfg, sources)
	var readErr *fileReadError
	if errors.As(err, &readErr) {
		return cli.Exit(cli.ExitFailure, err)
	}
	if err != nil {
		return cli.InvalidFlags(program, err)
	}

	// The protocol trace is written from go-imap's reader goroutine, so
	// standard error is shared under a lock.
	var logOut io.Writer = &lockedWriter{w: stderr}
	var bar *progress
	if cli.IsTerminal(stderr) {
		bar = newProgress(stderr)
		logOut = bar
	}
	logger := cli.NewLogger(logOut, program, cfg.verbose, cfg.debug)
	opts.Logger = logger
	if cfg.debugIMAP {
		opts.Trace = logOut
	}

	var state *fetch.State
	if cfg.state != "" {
		unlock, err := fetch.LockState(cfg.state)
		if errors.Is(err, fetch.ErrLocked) {
			return cli.Exit(cli.ExitTempFail, err)
		}
		if err != nil {
			return cli.Exit(cli.ExitFailure, err)
		}
		defer unlock()
		if state, err = fetch.LoadState(cfg.state); err != nil {
			return cli.Exit(cli.ExitFailure, err)
		}
	}

	sess, err := fetch.Open(ctx, opts)
	if err != nil {
		if errors.Is(err, fetch.ErrConnect) || errors.Is(err, fetch.ErrDropped) || errors.Is(err, fetch.ErrUnavailable) {
			return cli.Exit(cli.ExitTempFail, err)
		}
		return cli.Exit(cli.ExitFailure, err)
	}
	defer func() {
		if err := sess.Close(); err != nil {
			logger.Debug("close", "error", err)
		}
	}()

	h := &handOff{cfg: &cfg, sess: sess, logger: logger, bar: bar, out: mbox.NewWriter(stdout), state: state}
	return h.run(ctx, query)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// handOff fetches the selected messages, writes them and then updates the
// state and the mailbox.
type handOff struct {
	cfg    *config
	sess   *fetch.Session
	logger *slog.Logger
	bar    *progress
	out    *mbox.Writer
	state  *fetch.State
}

func (h *handOff) run(ctx context.Context, query fetch.Query) error {
	mark := fetch.Mark{Server: h.cfg.server, User: h.cfg.user, Mailbox: h.cfg.mailbox}
	if h.state != nil {
		mark = h.state.Get(h.cfg.server, h.cfg.user, h.cfg.mailbox)
		if mark.UIDValidity != 0 && mark.UIDValidity != h.sess.UIDValidity() {
			// RFC 3501 section 2.3.1.1: a new UIDVALIDITY means the old UIDs
			// no longer name the same messages, so start over. tlsrpt-ingest
			// drops the reports it already stored.
			h.logger.Warn("UIDVALIDITY changed, so every matching message is fetched again",
				"mailbox", h.cfg.mailbox, "old", mark.UIDValidity, "new", h.sess.UIDValidity())
			mark.LastUID = 0
		}
		query.AfterUID = imap.UID(mark.LastUID)
	}

	uids, err := h.sess.Search(ctx, query)
	if err != nil {
		return exitFor(err)
	}
	h.logger.Info("messages selected", "server", h.sess.Addr(), "mailbox", h.cfg.mailbox,
		"filter", string(query.Filter), "selected", len(uids), "after_uid", uint32(query.AfterUID))
	if h.bar != nil {
		h.bar.Start(len(uids))
	}

	start := time.Now()
	fetchOpts := fetch.FetchOptions{BatchSize: h.cfg.batch, MaxSize: h.cfg.maxSize, Retries: 2}
	result, fetchErr := h.sess.Fetch(ctx, uids, fetchOpts, h.deliver, h.flush)
	flushErr := h.out.Flush()
	if h.bar != nil {
		h.bar.Finish()
	}
	h.logger.Info("totals", "messages", result.Count, "bytes", result.Bytes,
		"too_large", len(result.TooLarge), "missing", len(result.Missing), "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	if flushErr != nil {
		// The state is written only after the output was flushed.
		return cli.Exit(cli.ExitFailure, fmt.Errorf("write standard output: %w", flushErr))
	}

	if h.state != nil {
		if err := h.saveState(mark, result, fetchErr == nil); err != nil {
			return cli.Exit(cli.ExitFailure, err)
		}
	}
	if fetchErr != nil {
		return exitFor(fetchErr)
	}

	if err := h.afterHandOff(ctx, result.HandedOver); err != nil {
		return exitFor(err)
	}

	switch {
	case len(result.Missing) > 0:
		return cli.Exit(cli.ExitTempFail, fmt.Errorf("UIDs %s did not come back from the server; run again later", imap.UIDSetNum(result.Missing...)))
	case len(result.TooLarge) > 0:
		return cli.Exit(cli.ExitDataErr, fmt.Errorf("UIDs %s exceed -max-size %d and were skipped; they stay in the mailbox, "+
			"so raise -max-size to fetch them, and where -state has moved past them, fetch them once with -since and without -state",
			imap.UIDSetNum(result.TooLarge...), h.cfg.maxSize))
	}
	return nil
}

func (h *handOff) deliver(msg *fetch.Message) error {
	if err := h.out.WriteMessage(mbox.Postmark(msg.Sender, msg.InternalDate), msg.Data); err != nil {
		return fmt.Errorf("write standard output: %w", err)
	}
	h.logger.Info("message", "uid", uint32(msg.UID), "message_id", msg.MessageID, "bytes", len(msg.Data))
	if h.bar != nil {
		h.bar.Add(1)
	}
	return nil
}

func (h *handOff) flush() error {
	if err := h.out.Flush(); err != nil {
		return fmt.Errorf("write standard output: %w", err)
	}
	return nil
}

// saveState records the highest UID handed over. After a complete run it
// records UIDNEXT-1 instead when that is higher, because every message
// below UIDNEXT was searched, so non-matching mail is not examined again.
func (h *handOff) saveState(mark fetch.Mark, result *fetch.Result, complete bool) error {
	old := h.state.Get(h.cfg.server, h.cfg.user, h.cfg.mailbox)
	last := max(mark.LastUID, uint32(result.LastUID))
	if complete && len(result.Missing) == 0 && h.sess.UIDNext() > 0 {
		last = max(last, uint32(h.sess.UIDNext())-1)
	}
	if old.UIDValidity == h.sess.UIDValidity() && old.LastUID == last {
		return nil
	}
	mark.UIDValidity = h.sess.UIDValidity()
	mark.LastUID = last
	mark.Updated = time.Now().UTC().Truncate(time.Second)
	h.state.Set(mark)
	if err := h.state.Save(h.cfg.state); err != nil {
		return err
	}
	h.logger.Info("state saved", "file", h.cfg.state, "uidvalidity", mark.UIDValidity, "last_uid", mark.LastUID)
	return nil
}

func (h *handOff) afterHandOff(ctx context.Context, uids imap.UIDSet) error {
	if len(uids) == 0 {
		return nil
	}
	if h.cfg.markSeen {
		if err := h.sess.MarkSeen(ctx, uids); err != nil {
			return err
		}
		h.logger.Info("marked as seen", "uids", uids.String())
	}
	if h.cfg.moveTo != "" {
		if err := h.sess.Move(ctx, uids, h.cfg.moveTo); err != nil {
			return err
		}
		h.logger.Info("moved", "uids", uids.String(), "to", h.cfg.moveTo)
	}
	return nil
}

// exitFor picks the exit code of an error after login: 75 for a broken
// connection, so cron runs again, 1 for the rest.
func exitFor(err error) error {
	if errors.Is(err, fetch.ErrDropped) || errors.Is(err, context.Canceled) {
		return cli.Exit(cli.ExitTempFail, err)
	}
	var exitErr *cli.ExitError
	if errors.As(err, &exitErr) {
		return err
	}
	return cli.Exit(cli.ExitFailure, err)
}

// sessionOptions checks the flags and turns them into session options and
// a query.
func sessionOptions(cfg *config, sources map[string]cli.Source) (fetch.Options, fetch.Query, error) {
	var opts fetch.Options
	var query fetch.Query
	if cfg.server == "" {
		return opts, query, errors.New("missing -server (or IMAP_SERVER)")
	}
	if cfg.user == "" {
		return opts, query, errors.New("missing -user (or IMAP_USER)")
	}
	password, err := readPassword(cfg, sources)
	if err != nil {
		return opts, query, err
	}

	opts = fetch.Options{
		Server:      cfg.server,
		Port:        cfg.port,
		TLS:         fetch.TLSMode(cfg.tlsMode),
		User:        cfg.user,
		Password:    password,
		Mailbox:     cfg.mailbox,
		ReadWrite:   cfg.markSeen || cfg.moveTo != "",
		IdleTimeout: cfg.timeout,
	}
	switch opts.TLS {
	case fetch.TLSImplicit, fetch.TLSStartTLS, fetch.TLSNone:
	default:
		return opts, query, fmt.Errorf("invalid -tls %q: use implicit, starttls or none", cfg.tlsMode)
	}
	if opts.Port == 0 {
		opts.Port = 993
		if opts.TLS != fetch.TLSImplicit {
			opts.Port = 143
		}
	}
	if opts.Port < 1 || opts.Port > 65535 {
		return opts, query, fmt.Errorf("invalid -port %d: use 1 to 65535", cfg.port)
	}
	if cfg.caFile != "" {
		if opts.RootCAs, err = loadCAs(cfg.caFile); err != nil {
			return opts, query, err
		}
	}
	if cfg.batch < 1 {
		return opts, query, fmt.Errorf("invalid value \"%d\" for -batch: want a positive number", cfg.batch)
	}
	if cfg.maxSize < 1 {
		return opts, query, fmt.Errorf("invalid value \"%d\" for -max-size: want a positive number", cfg.maxSize)
	}
	if cfg.timeout <= 0 {
		return opts, query, fmt.Errorf("invalid value \"%s\" for -timeout: want a positive duration such as 2m", cfg.timeout)
	}
	if cfg.moveTo != "" && cfg.moveTo == cfg.mailbox {
		return opts, query, fmt.Errorf("-move-to %q is the mailbox being read", cfg.moveTo)
	}

	query.Filter = fetch.Filter(cfg.filter)
	switch query.Filter {
	case fetch.FilterHeader, fetch.FilterSubject, fetch.FilterAll:
	default:
		return opts, query, fmt.Errorf("invalid -filter %q: use header, subject or all", cfg.filter)
	}
	if cfg.since != "" {
		if query.Since, err = parseSince(cfg.since, time.Now()); err != nil {
			return opts, query, err
		}
	}
	return opts, query, nil
}

// readPassword returns -pass or the content of -pass-file, whichever was
// set from the higher-priority source.
func readPassword(cfg *config, sources map[string]cli.Source) (string, error) {
	passFrom, fileFrom := sources["pass"], sources["pass-file"]
	if cfg.pass != "" && cfg.passFile != "" && passFrom == fileFrom {
		return "", errors.New("both -pass and -pass-file are set at the same level; use one")
	}
	if cfg.passFile != "" && fileFrom > passFrom {
		data, err := os.ReadFile(cfg.passFile)
		if err != nil {
			return "", &fileReadError{flag: "-pass-file", err: err}
		}
		password := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if password == "" {
			return "", fmt.Errorf("-pass-file %s is empty", cfg.passFile)
		}
		return password, nil
	}
	if cfg.pass == "" {
		return "", errors.New("missing password: set -pass-file, IMAP_PASS_FILE, IMAP_PASS or -pass")
	}
	return cfg.pass, nil
}

// fileReadError is a file named by a flag that cannot be read: the flag
// is right, the file or its permissions are not, so the exit status is 1.
type fileReadError struct {
	flag string
	err  error
}

func (e *fileReadError) Error() string {
	msg := fmt.Sprintf("read %s: %v", e.flag, e.err)
	if errors.Is(e.err, fs.ErrPermission) {
		msg += fmt.Sprintf("; make the file readable by %s, which runs %s", cli.CurrentUser(), program)
	}
	return msg
}

func (e *fileReadError) Unwrap() error { return e.err }

func loadCAs(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &fileReadError{flag: "-ca-file", err: err}
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("-ca-file %s contains no PEM certificate; give a file with one or more BEGIN CERTIFICATE blocks", path)
	}
	return pool, nil
}

// parseSince reads -since: a date (2026-11-02 or the RFC 3501 form
// 02-Nov-2026), an RFC 3339 time, or a duration before now in the form
// that tlsrpt-summary's -since reads (7d, 24h, 1d12h). RFC 3501 section
// 6.4.4: SEARCH SINCE compares dates only, so a time is rounded down to
// its UTC date. go-imap sends that date as "2-Nov-2026" with English
// month names whatever the locale.
func parseSince(value string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "2-Jan-2006"} {
		if t, err := time.Parse(layout, value); err == nil {
			return t, nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		ago, durationErr := cli.ParseDuration(value)
		if durationErr != nil {
			return time.Time{}, fmt.Errorf("invalid -since %q: use a date such as 2026-11-02 or 02-Nov-2026, or a duration before now such as 7d, 24h or 1d12h", value)
		}
		t = now.Add(-ago)
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}
