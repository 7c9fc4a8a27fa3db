package main

import "github.com/tlsrpt/tlsrpt/internal/cli"

// explainOpenError adds to a failed store.Open what the administrator has
// to do. The exit code stays 75 in every case, so that an MTA keeps the
// mail queued until the store can be written.
func explainOpenError(path string, err error) error {
	return cli.ExplainOpenError(program, "store", path, err, "nothing was stored")
}
