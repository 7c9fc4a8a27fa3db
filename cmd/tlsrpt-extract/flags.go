package main

import (
	"fmt"

	"github.com/tlsrpt/tlsrpt/internal/cli"
)

// envName returns the environment variable of a flag: TLSRPT_ and its
// name, except -rejects, whose mbox file is not tlsrpt-ingest's NDJSON
// file of the same flag name, so the two commands cannot share one
// variable.
func envName(flagName string) string {
	if flagName == "rejects" {
		return "TLSRPT_EXTRACT_REJECTS"
	}
	return cli.EnvVar("TLSRPT", flagName)
}

// checkLimits checks the flags whose type accepts values that are not
// valid limits.
func checkLimits(cfg *config) error {
	positive := []struct {
		name  string
		value int64
	}{
		{"max-message-size", cfg.maxMessageSize},
		{"max-report-size", cfg.maxReportSize},
		{"max-depth", int64(cfg.maxDepth)},
	}
	for _, limit := range positive {
		if limit.value <= 0 {
			return fmt.Errorf("invalid value \"%d\" for -%s: want a positive number", limit.value, limit.name)
		}
	}
	if cfg.workers < 0 {
		return fmt.Errorf("invalid value \"%d\" for -workers: want 0 for one per CPU, or more", cfg.workers)
	}
	return nil
}
