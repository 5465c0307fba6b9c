#!/bin/sh
# Runs a fuzzer for a bounded time on a copy of its seed corpus (default tests/fuzz/corpus) and
# prints libFuzzer's count of executions. Usage: fuzz.sh FUZZER SECONDS [CORPUS_DIR]
set -eu
fuzzer=$1
secs=${2:-20}
here=$(dirname "$0")
work=$(mktemp -d /tmp/xrelay-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "${3:-$here/corpus}"/* "$work"/
# -rss_limit: ASan and 1024 channels of real maps fit well under it.
"$fuzzer" -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work" 2>"$work/log" || {
	tail -50 "$work/log"
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -e "$a" ] && { echo "artifact: $a"; od -c "$a" | head -20; }
	done
	exit 1
}
grep -E "^(Done|stat::number_of_executed_units)" "$work/log"
