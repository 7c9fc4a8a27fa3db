package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

// config holds the parsed flags.
type config struct {
	server     string
	port       int
	user       string
	pass       string
	passFile   string
	mailbox    string
	filter     string
	tlsMode    string
	caFile     string
	since      string
	state      string
	markSeen   bool
	moveTo     string
	batch      int
	maxSize    int64
	timeout    time.Duration
	verbose    bool
	debug      bool
	debugIMAP  bool
	configFile string
}

// imapEnv maps the IMAP account flags to their environment variables,
// which use the IMAP_ names common among mail tools. Every other flag is
// set by TLSRPT_ plus its name.
var imapEnv = map[string]string{
	"server":    "IMAP_SERVER",
	"port":      "IMAP_PORT",
	"user":      "IMAP_USER",
	"pass":      "IMAP_PASS",
	"pass-file": "IMAP_PASS_FILE",
	"mailbox":   "IMAP_MAILBOX",
}

func envName(flagName string) string {
	if name, ok := imapEnv[flagName]; ok {
		return name
	}
	return cli.EnvVar("TLSRPT", flagName)
}

func newFlagSet(cfg *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.server, "server", "", "`host` name or IP address of the IMAP server (required)")
	fs.IntVar(&cfg.port, "port", 0, "TCP `port` of the IMAP server; 0 means 993 for -tls implicit, 143 otherwise")
	fs.StringVar(&cfg.user, "user", "", "login `name` (required)")
	fs.StringVar(&cfg.pass, "pass", "", "login `password`; prefer -pass-file or IMAP_PASS, which other users cannot see in ps")
	fs.StringVar(&cfg.passFile, "pass-file", "", "read the password from `file` (one line)")
	fs.StringVar(&cfg.mailbox, "mailbox", "INBOX", "`mailbox` to read")
	fs.StringVar(&cfg.filter, "filter", "header", "message selection `mode`: header (a TLS-Report-Domain header), subject (\"Report Domain:\" in the subject) or all")
	fs.StringVar(&cfg.tlsMode, "tls", "implicit", "connection security `mode`: implicit (TLS from the start), starttls, or none (loopback addresses only)")
	fs.StringVar(&cfg.caFile, "ca-file", "", "also trust the CA certificates in the PEM `file`")
	fs.StringVar(&cfg.since, "since", "", "only messages received on or after `date`: 2026-11-02, 02-Nov-2026, or a duration before now such as 7d, 24h or 1d12h; IMAP SEARCH compares dates only (RFC 3501), so the UTC date of that moment is sent")
	fs.StringVar(&cfg.state, "state", "", "remember the last UID handed over per server, user and mailbox in `file`, and fetch only newer mail")
	fs.BoolVar(&cfg.markSeen, "mark-seen", false, "set \\Seen on the messages after they were written")
	fs.StringVar(&cfg.moveTo, "move-to", "", "move the messages to `mailbox` after they were written")
	fs.IntVar(&cfg.batch, "batch", 100, "`number` of messages per UID FETCH")
	fs.Int64Var(&cfg.maxSize, "max-size", 64<<20, "skip and report messages larger than `bytes`")
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Minute, "give up when the server sends nothing for `duration`, such as 2m; the run then exits with 75")
	fs.BoolVar(&cfg.verbose, "v", false, "log each message handed over and the totals")
	fs.BoolVar(&cfg.debug, "debug", false, "log debug details")
	fs.BoolVar(&cfg.debugIMAP, "debug-imap", false, "trace the IMAP protocol on standard error, with credentials redacted")
	fs.StringVar(&cfg.configFile, "config", "", "read flags from `file`, one \"name value\" per line; lines for other tlsrpt commands' flags are ignored")
	fs.Usage = func() { usage(fs) }
	return fs
}

func usage(fs *flag.FlagSet) {
	cli.PrintUsage(fs.Output(), cli.Usage{
		Synopsis: program + " [flags] > reports.mbox",
		Description: `
Reads SMTP TLS report mails (RFC 8460) from an IMAP mailbox and writes them
to standard output as an mboxrd stream, for tlsrpt-extract. Messages are
fetched with BODY.PEEK[], so nothing in the mailbox changes unless
-mark-seen or -move-to asks for it.`,
		Flags:   fs,
		EnvName: envName,
		ExitCodes: []cli.ExitCode{
			{Code: cli.ExitOK, Meaning: "every selected message was written"},
			{Code: cli.ExitFailure, Meaning: "TLS, login, mailbox, password file, CA file, state file or output failure"},
			{Code: cli.ExitUsage, Meaning: "invalid flags or arguments"},
			{Code: cli.ExitDataErr, Meaning: "some messages were skipped as too large; the rest was written"},
			{Code: cli.ExitTempFail, Meaning: "the connection failed or broke, the server could not check " +
				"credentials for now, some messages did not come back from the server, or another run " +
				"holds the state lock; what was fetched was written, and -state covers only that"},
		},
	})
}

// parseFlags sets fs from args, then from the environment (IMAP_ names
// for the IMAP account, TLSRPT_ for the rest), then from the -config file,
// and returns where each set flag came from.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (map[string]cli.Source, error) {
	sources, err := cli.ParseFlagSources(fs, args, envName, getenv)
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, cli.InvalidFlags(program, fmt.Errorf("unexpected argument %q: %s takes flags only and writes to standard output", fs.Arg(0), program))
	}
	return sources, nil
}
