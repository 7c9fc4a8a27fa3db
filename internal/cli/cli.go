// Package cli holds what the tlsrpt commands share: exit codes, flag
// parsing (flags, then environment, then a config file in ff's format) and a
// log/slog handler that writes plain lines to standard error.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Exit codes. 65 and 75 are the sysexits.h values that MTAs and
// procmail understand: 65 drops nothing but reports bad data, 75 makes the
// MTA retry the delivery later.
const (
	ExitOK       = 0
	ExitFailure  = 1  // an I/O failure; tlsrpt-summary also uses it for "failures found"
	ExitUsage    = 2  // invalid flags or arguments
	ExitDataErr  = 65 // EX_DATAERR: some input could not be used, the rest was processed
	ExitTempFail = 75 // EX_TEMPFAIL: try again later
)

// ExitError carries an exit code up to main.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an error that makes main exit with code.
func Exit(code int, err error) error {
	return &ExitError{Code: code, Err: err}
}

// Code returns the exit code for an error returned by a command's run
// function: 0 for nil, the code of an ExitError (0 for -h and 2 for flag
// errors from ParseFlags), else 1.
func Code(err error) int {
	var exitErr *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &exitErr):
		return exitErr.Code
	default:
		return ExitFailure
	}
}

// LineHandler is a slog.Handler that writes "program: message key=value"
// lines, the form people expect from a Unix command on standard error.
type LineHandler struct {
	mu      *sync.Mutex
	w       io.Writer
	program string
	level   slog.Leveler
	attrs   []slog.Attr
}

// NewLogger returns a logger writing to w. Without verbose only warnings
// and errors are shown; verbose adds info, debug adds debug.
func NewLogger(w io.Writer, program string, verbose, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(&LineHandler{mu: &sync.Mutex{}, w: w, program: program, level: level})
}

func (h *LineHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *LineHandler) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(h.program)
	b.WriteString(": ")
	switch {
	case rec.Level >= slog.LevelError:
		b.WriteString("error: ")
	case rec.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(rec.Message)
	write := func(a slog.Attr) bool {
		if a.Equal(slog.Attr{}) {
			return true
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, quoteIfNeeded(a.Value.Resolve().String()))
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	rec.Attrs(write)
	b.WriteByte('\n')

	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *LineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &h2
}

// WithGroup is not used by tlsrpt; groups are flattened into plain keys.
func (h *LineHandler) WithGroup(string) slog.Handler { return h }

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// PrintError writes the error that a command's run function returned, as
// main does before it exits: nothing for success or -h, a FlagError's
// one-line message as it is, and "program: error: message" for the rest.
// Errors matching one of quiet are not written either, for a command whose
// exit status alone carries the news.
func PrintError(w io.Writer, program string, err error, quiet ...error) {
	if err == nil || Code(err) == ExitOK {
		return
	}
	for _, q := range quiet {
		if errors.Is(err, q) {
			return
		}
	}
	var flagErr *FlagError
	if errors.As(err, &flagErr) {
		fmt.Fprintf(w, "%s: %v\n", program, err)
		return
	}
	fmt.Fprintf(w, "%s: error: %v\n", program, err)
}
