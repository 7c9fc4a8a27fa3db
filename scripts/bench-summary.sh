#!/bin/sh
# Measure tlsrpt-summary on a generated store of REPORTS reports (default
# 1,000,000) against reading and JSON-decoding the same file once into
# generic values. The goal is a ratio of at most 2. The store is generated
# in a temporary directory and removed afterwards; RUNS sets how many runs
# of each command are made (the fastest counts).
set -eu

REPORTS=${REPORTS:-1000000}
RUNS=${RUNS:-3}
GO=${GO:-go}

dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-summary.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

$GO build -o "$dir/benchtool" ./internal/summary/benchtool
$GO build -o "$dir/tlsrpt-summary" ./cmd/tlsrpt-summary

echo "machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p'), $($GO version)"
echo "generating $REPORTS reports..."
"$dir/benchtool" gen -n "$REPORTS" "$dir/tlsrpt.jsonl"
"$dir/benchtool" compare -runs "$RUNS" "$dir/tlsrpt.jsonl" "$dir/tlsrpt-summary"
