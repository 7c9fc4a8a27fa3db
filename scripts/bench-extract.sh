#!/bin/sh
# Measures tlsrpt-extract as a user runs it. The script builds the
# command and generates an mbox of N synthetic report mails in a temporary
# directory (internal/benchgen: multipart/report, base64 gzip attachment,
# 1 to 50 policies, failures of every result-type). It then extracts the
# mbox RUNS times and prints messages/s, MB/s and peak RSS for each run.
# Then it measures peak RSS on mails at the default size limits. The
# directory is removed at the end.
#
# Usage: sh scripts/bench-extract.sh [MESSAGES] [RUNS]   (default 100000 3)
set -eu

messages=${1:-100000}
runs=${2:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-extract.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

go build -o "$dir/tlsrpt-extract" ./cmd/tlsrpt-extract
go build -o "$dir/genmbox" ./internal/benchgen/genmbox

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(go version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

"$dir/genmbox" -n "$messages" > "$dir/bench.mbox"
bytes=$(wc -c < "$dir/bench.mbox")
echo "input: $messages messages, $bytes bytes"

now() { date +%s%N; }

for i in $(seq 1 "$runs"); do
	start=$(now)
	# Output goes to /dev/null, because writing the 1 GB of NDJSON to a
	# file or a pipe measures the file system or the reader. -v ends with
	# a "done reports=N" line, which gives the count.
	/usr/bin/time -f '%M %U %S' -o "$dir/time" \
		"$dir/tlsrpt-extract" -v "$dir/bench.mbox" > /dev/null 2> "$dir/log"
	end=$(now)
	lines=$(sed -n 's/.*done reports=\([0-9]*\).*/\1/p' "$dir/log")
	read -r rss user sys < "$dir/time"
	echo "$start $end $messages $bytes $rss $user $sys $lines" | awk '{
		secs = ($2 - $1) / 1e9
		printf "run: %.2fs wall, %.2fs CPU, %.0f messages/s, %.1f MB/s, peak RSS %.1f MB, %d reports\n",
			secs, $6 + $7, $3 / secs, $4 / secs / 1e6, $5 / 1024, $8
	}'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The largest input the default limits accept: report mails with a report
# or a message just under its limit, one after the other.
"$dir/genmbox" -large > "$dir/large.mbox"
/usr/bin/time -f '%M' -o "$dir/time" "$dir/tlsrpt-extract" "$dir/large.mbox" > /dev/null 2>&1 || true
echo "at the default limits: $(grep -c '^From ' "$dir/large.mbox") messages, $(wc -c < "$dir/large.mbox") bytes, peak RSS $(tail -n 1 "$dir/time" | awk '{printf "%.1f MB", $1 / 1024}')"
