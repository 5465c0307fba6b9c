#!/bin/sh
# Runs each test program given under a timeout and prints one summary line at the end:
# "N passed, N failed, N skipped". A test exiting 77 was skipped (it says why). Exit 1 if any
# test failed, so make test fails. An argument VAR=VALUE:PATH runs PATH with VAR=VALUE in its
# environment (a scenario in another mode: XR_MODE=socket:tests/net/test_e2e.sh).
set -u
TIMEOUT=${TEST_TIMEOUT:-300}
pass=0 fail=0 skip=0 failed=""
for t in "$@"; do
	env=
	case $t in *=*:*) env=${t%%:*}; t=${t#*:} ;; esac
	name=$(basename "$t")${env:+ ($env)}
	echo "=== $name"
	start=$(date +%s)
	timeout --kill-after=10 "$TIMEOUT" env $env "$t"
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "--- $name: ok (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "--- $name: SKIPPED (${secs}s)" ;;
	124|137) fail=$((fail + 1)); failed="$failed $name"; echo "--- $name: TIMEOUT after ${TIMEOUT}s" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "--- $name: FAILED (exit $rc, ${secs}s)" ;;
	esac
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
