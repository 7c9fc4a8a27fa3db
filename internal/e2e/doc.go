// Package e2e holds the end-to-end tests of the tlsrpt commands. It runs
// each recipe of README.md (cron, .forward, procmail, maildrop,
// systemd, jq) as read from the README itself, with the real programs, and
// the whole pipeline against a real Dovecot IMAP server.
package e2e
