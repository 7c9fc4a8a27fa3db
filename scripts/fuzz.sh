#!/bin/sh
# Run every Fuzz target in the module for the given time each, such as
# "sh scripts/fuzz.sh 10s". FUZZPKGS narrows the packages searched
# (default ./...). Stops at the first failure with a non-zero exit;
# go test then leaves the failing input under the package's
# testdata/fuzz/FuzzName directory.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: sh scripts/fuzz.sh FUZZTIME (for example 10s)" >&2
	exit 2
fi
fuzztime=$1
packages=${FUZZPKGS:-./...}

cd "$(dirname "$0")/.."

# "go test -list" prints the names matching in each package, then
# "ok <package> <time>"; a package without test files prints
# "? <package> [no test files]".
# shellcheck disable=SC2086 # FUZZPKGS is a list of package patterns.
if ! listing=$(go test -list '^Fuzz' $packages); then
	echo "fuzz: go test -list failed, so the fuzz targets are unknown; fix the build and run again" >&2
	exit 1
fi

targets=0
names=""
while read -r first second rest; do
	case $first in
	Fuzz*)
		names="$names $first"
		;;
	ok)
		for name in $names; do
			echo "fuzz: $second $name for $fuzztime"
			go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$second"
			targets=$((targets + 1))
		done
		names=""
		;;
	"?")
		names=""
		;;
	*)
		echo "fuzz: unexpected line from go test -list: $first $second $rest" >&2
		exit 1
		;;
	esac
done <<END
$listing
END

echo "fuzz: all $targets fuzz targets ran clean"
