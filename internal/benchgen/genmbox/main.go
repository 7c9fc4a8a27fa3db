// Command genmbox writes the benchmark mbox of scripts/bench-extract.sh:
// N synthetic SMTP TLS report mails on standard output.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tlsrpt/tlsrpt/internal/benchgen"
)

func main() {
	n := flag.Int("n", 100000, "number of messages")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same mbox")
	flag.Parse()
	if err := benchgen.New(*seed).WriteMbox(os.Stdout, *n); err != nil {
		fmt.Fprintf(os.Stderr, "genmbox: %v\n", err)
		os.Exit(1)
	}
}
