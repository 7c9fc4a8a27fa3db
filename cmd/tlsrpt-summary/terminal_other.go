//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "io"

// isTerminal returns false: on this system the output is never coloured.
func isTerminal(io.Writer) bool { return false }
