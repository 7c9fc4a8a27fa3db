package cli

import "slices"

// commandFlags lists the flags of every tlsrpt command. A -config file
// line naming one of them is ignored by the commands that do not define
// it, so one file can serve all four, while a misspelt name is still an
// error. Each command's tests compare its entry with its flag set.
var commandFlags = map[string][]string{
	"tlsrpt-extract": {"config", "debug", "max-depth", "max-message-size", "max-report-size", "rejects", "skipped", "v", "workers"},
	"tlsrpt-fetch": {"batch", "ca-file", "config", "debug", "debug-imap", "filter", "mailbox", "mark-seen",
		"max-size", "move-to", "pass", "pass-file", "port", "server", "since", "state", "timeout", "tls", "user", "v"},
	"tlsrpt-ingest":  {"config", "debug", "lock-timeout", "n", "rejects", "store", "v"},
	"tlsrpt-summary": {"config", "debug", "json", "since", "store", "until", "v"},
}

// CommandFlags returns the sorted flag names of a tlsrpt command from the
// list that ParseFlags uses, or nil for an unknown program.
func CommandFlags(program string) []string {
	return slices.Clone(commandFlags[program])
}
