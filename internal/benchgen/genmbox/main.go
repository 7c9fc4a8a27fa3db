// Command genmbox writes the benchmark mbox of scripts/bench-extract.sh:
// N synthetic SMTP TLS report mails on standard output, or with -large the
// report mails at tlsrpt-extract's default size limits.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tlsrpt/tlsrpt/internal/benchgen"
	"github.com/tlsrpt/tlsrpt/internal/extract"
	"github.com/tlsrpt/tlsrpt/internal/mbox"
)

func main() {
	n := flag.Int("n", 100000, "number of messages")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same mbox")
	large := flag.Bool("large", false, "write the mails at the default size limits of tlsrpt-extract instead")
	flag.Parse()
	g := benchgen.New(*seed)
	var err error
	if *large {
		err = writeLarge(g)
	} else {
		err = g.WriteMbox(os.Stdout, *n)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "genmbox: %v\n", err)
		os.Exit(1)
	}
}

func writeLarge(g *benchgen.Generator) error {
	messages, err := g.LargeMessages(extract.DefaultMaxMessageSize, extract.DefaultMaxReportSize)
	if err != nil {
		return err
	}
	w := mbox.NewWriter(os.Stdout)
	for _, m := range messages {
		if err := w.WriteMessage("From noreply@large.example Sun Mar  1 00:00:00 2026", m); err != nil {
			return err
		}
	}
	return w.Flush()
}
