// Command gen writes generated RFC 8460 reports as NDJSON to standard
// output, for scripts/bench-ingest.sh.
//
// Usage: go run ./internal/store/storetest/gen -first N -count N
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/tlsrpt/tlsrpt/internal/store/storetest"
)

func main() {
	first := flag.Int("first", 0, "number of the first report")
	count := flag.Int("count", 1000, "number of reports")
	flag.Parse()

	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var line []byte
	for n := *first; n < *first+*count; n++ {
		line = storetest.AppendLine(line[:0], n, 0)
		if _, err := w.Write(line); err != nil {
			fmt.Fprintf(os.Stderr, "gen: write standard output: %v\n", err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "gen: write standard output: %v\n", err)
		os.Exit(1)
	}
}
