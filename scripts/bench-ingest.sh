#!/bin/sh
# Measures tlsrpt-ingest as a user runs it. The first run ingests
# 1,000,000 generated reports into an empty store and gives the throughput.
# Then come runs of 1,000 new reports into that store, a run of 1,000
# repeats and an index rebuild. Inputs are generated at run time in a
# temporary directory, which is removed at the end.
#
# Usage: sh scripts/bench-ingest.sh [STORE_SIZE]   (default 1000000)
set -eu

size=${1:-1000000}
runs=5
dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-ingest.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

go build -o "$dir/tlsrpt-ingest" ./cmd/tlsrpt-ingest
go build -o "$dir/gen" ./internal/store/storetest/gen
ingest="$dir/tlsrpt-ingest"
store="$dir/store.jsonl"

now() { date +%s%N; }

# elapsed START prints the seconds since START (from now) with 3 decimals.
elapsed() { echo "$(now) $1" | awk '{ printf "%.3f", ($1 - $2) / 1e9 }'; }

# rate COUNT SECONDS prints COUNT / SECONDS as a whole number.
rate() { echo "$1 $2" | awk '{ printf "%.0f", $1 / $2 }'; }

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(go version)"

"$dir/gen" -first 0 -count "$size" > "$dir/bulk.ndjson"
echo "input: $size reports, $(wc -c < "$dir/bulk.ndjson") bytes"

start=$(now)
"$ingest" -store "$store" < "$dir/bulk.ndjson" > /dev/null
secs=$(elapsed "$start")
echo "bulk: $size reports into an empty store in ${secs}s, $(rate "$size" "$secs") reports/s"
rm "$dir/bulk.ndjson"
echo "store: $(wc -c < "$store") bytes, index $(wc -c < "$store.idx") bytes"

next=$size
for i in $(seq 1 $runs); do
	"$dir/gen" -first "$next" -count 1000 > "$dir/new.ndjson"
	start=$(now)
	"$ingest" -store "$store" < "$dir/new.ndjson" > "$dir/out.ndjson"
	secs=$(elapsed "$start")
	stored=$(wc -l < "$dir/out.ndjson")
	echo "1k new into $next: ${secs}s ($stored stored, $(rate 1000 "$secs") reports/s)"
	next=$((next + 1000))
done

start=$(now)
"$ingest" -store "$store" < "$dir/new.ndjson" > "$dir/out.ndjson"
secs=$(elapsed "$start")
echo "1k repeats into $next: ${secs}s ($(wc -l < "$dir/out.ndjson") stored)"

rm "$store.idx"
start=$(now)
"$ingest" -store "$store" < /dev/null
echo "index rebuild of $next reports: $(elapsed "$start")s"
