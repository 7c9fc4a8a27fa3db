//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package cli

import "io"

// IsTerminal returns false: this system has no terminal check here.
func IsTerminal(io.Writer) bool { return false }
