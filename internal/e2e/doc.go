// Package e2e holds the end-to-end tests of the tlsrpt commands: the
// recipes of README.md (cron, procmail, maildrop, /etc/aliases, systemd,
// jq), each read from the README itself and run with the real programs,
// and the whole pipeline against a real Dovecot IMAP server.
package e2e
