#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile API clients (issue 10, the reliability suite): 300 connections from one address
# trickling headers or bodies a byte every half second, while an ordinary client on another
# address makes requests one after another for HOSTILE_SECONDS (default 14). Checks:
#  - every ordinary request answered (200, 201, 204), the slowest in under 1 s;
#  - one address holds at most --max-per-client connections (the rest refused at once);
#  - no trickling connection outlives --request-timeout (3 s here) by more than 1.5 s;
#  - the API is still up and its maps as before: no channel left, none half made.
# (The request-handler fuzzer, the suite's other hostile client, runs 60 s in make test as
# tests/fuzz/test_fuzz.sh.)
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
xr_begin 180 "$@"
SECONDS_RUN=${HOSTILE_SECONDS:-14}
"$XR_API_BIN" --listen 127.0.0.1:$XR_API_PORT --pin-dir "$XR_PIN" --request-timeout 3 \
	--max-per-client 32 --max-connections 256 >"$XR_TMP/api.log" 2>&1 &
XR_API_PID=$!
XR_PIDS+=("$XR_API_PID")
for i in $(seq 100); do
	curl -s -o /dev/null "$XR_API/healthz" && break
	sleep 0.05
done
out=$("$XR_PY" "$XR_REPO/tests/reliability/hostile.py" $XR_API_PORT "$SECONDS_RUN" 300) ||
	xr_fail "the hostile run failed: $out"
xr_log "hostile run: $out"
read -r requests slowest statuses connected refused cut still lived < <(echo "$out" |
	xr_json requests slowest_s statuses connected refused cut_off still_open longest_lived_s |
	tr '\n' ' ')
xr_check '[ "$requests" -ge 30 ]' "the ordinary client made $requests requests (>= 30)" "$out"
xr_check '[ "$statuses" = 200,201,204 ]' "every ordinary request succeeded" "$out"
xr_check '"$XR_PY" -c "import sys; sys.exit(not $slowest < 1.0)"' \
	"the slowest ordinary request took $slowest s (< 1 s)" "$out"
xr_check '[ $((connected - refused)) -le 32 ]' \
	"one address held at most 32 connections ($connected connected, $refused refused)" "$out"
xr_check '[ "$still" = 0 ] && [ "$cut" -ge 1 ]' "every held trickler was cut off" "$out"
xr_check '"$XR_PY" -c "import sys; sys.exit(not $lived < 4.5)"' \
	"no trickler lived past the 3 s request timeout + 1.5 s (longest $lived s)" "$out"
xr_alive "$XR_API_PID" || xr_fail "xrelay-api died"
left=$(xr_get /channels channels)
xr_check '[ "$left" = "[]" ]' "no channel left behind" "$left"
xr_soft_verdict
xr_pass "300 hostile connections held off; $requests ordinary requests, the slowest $slowest s"
