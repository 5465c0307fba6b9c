#!/bin/bash
# SPDX-License-Identifier: MIT
# Churn under load (issue 10, the reliability suite): CHURN_OPS (default 1000; make soak: 10000)
# creates, PATCHes and deletes of channels on 4 ports through the API, paced over CHURN_SECONDS
# (default 15; make soak: 150), while traffic flows to all 4 (one udpgen per port, CHURN_RATE
# datagrams/s each, default 5000; each with its own seed and index range, so a payload says
# which port it was sent to). Every channel has a name never
# used before, so its directory is its lifetime. Checks (tests/reliability/churn.py):
#  - every API call answered as it should (201, 200, 204): no 409/507 from ids not released;
#  - none misfiled: every record in a channel's files was sent to that channel's port and
#    received within its lifetime (POST .. DELETE); none twice; seq increasing per shard;
#  - every file reads to its end, none left as .part after the stop;
#  - complete: what was sent to a port well within a lifetime (5 ms after the POST returned
#    until 5 ms before the DELETE) is in that lifetime's files, or counted as dropped;
#  - the books of the channels alive at the end balance at rest (xr_books).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
OPS=${CHURN_OPS:-1000}
SECS=${CHURN_SECONDS:-15}
xr_begin $((90 + SECS * 3)) "$@"
xr_need_tools
xr_need_dataplane
xr_veth

RATE=$(xr_rate "${CHURN_RATE:-5000}")
SLOTS=4
BASE=6800
STEP=100000000 # datagram indices of slot s start at s x STEP
SEED=$((RANDOM * 32768 + RANDOM))
CHURN=$XR_REPO/tests/reliability/churn.py
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)
xr_api
xr_dataplane --xdp-mode native "${CPUS[@]}"

# The generators run through the churn (long enough for it at its slowest), stopped after it.
for ((s = 0; s < SLOTS; s++)); do
	xr_bg "gen$s" nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst $XR_H4 \
		--port $((BASE + s)) --src-port $((47300 + s)) --first $((s * STEP)) \
		--count $((RATE * (SECS * 2 + 60))) --rate "$RATE" --max-len 300 \
		--seed $((SEED + s)) --timeline "$XR_TMP/tl$s"
done
sleep 0.2
t0=$(xr_now_ns)
"$XR_PY" "$CHURN" drive $XR_API_PORT "$OPS" "$SECS" $SLOTS $BASE $XR_H4 "$XR_H" "$SEED" \
	>"$XR_TMP/run.json" 2>"$XR_TMP/run.err" || xr_fail "the churn driver failed: $(tail -n 3 "$XR_TMP/run.err")"
t1=$(xr_now_ns)
sleep 0.3
for ((s = 0; s < SLOTS; s++)); do
	xr_alive "${XR_BG[gen$s]}" || xr_fail "udpgen $s stopped early: $(cat "$XR_TMP/gen$s.err")"
	xr_stop "${XR_BG[gen$s]}"
done
run=$(cat "$XR_TMP/run.json")
read -r ops nunexp nlt < <("$XR_PY" -c '
import json, sys
r = json.load(sys.stdin)
print(",".join("%s %d" % kv for kv in sorted(r["ops"].items())).replace(" ", "_"),
      len(r["unexpected"]), len(r["lifetimes"]))' <<<"$run")
xr_log "$OPS operations in $(((t1 - t0) / 1000000)) ms ($ops), $nlt channel lifetimes, $((SLOTS * RATE)) datagrams/s (seed $SEED)"
xr_soft '[ "$nunexp" = 0 ]' "every API call answered as it should" \
	"$nunexp unexpected, e.g. $(xr_json unexpected.0 unexpected.1 <<<"$run" | tr '\n' ' ')"
xr_check 'xr_alive "$XR_DP_PID"' "xrelay-dataplane still runs"

# The channels alive at the end: their books at rest.
mapfile -t alive < <(xr_curl GET /channels | "$XR_PY" -c '
import json, sys
for c in json.load(sys.stdin)["channels"]:
    print(c["name"])')
for ch in "${alive[@]}"; do
	xr_books "$ch"
done
xr_stop "$XR_DP_PID"
rc_dp=$?
xr_soft '[ $rc_dp = 0 ]' "xrelay-dataplane exited 0 on SIGTERM" "status $rc_dp"

tls=()
for ((s = 0; s < SLOTS; s++)); do tls+=("$XR_TMP/tl$s"); done
out=$("$XR_PY" "$CHURN" check "$XR_OUT" "$XR_TMP/run.json" "$SEED" $SLOTS $STEP 300 $XR_P4 \
	"${tls[@]}" 2>&1)
rc=$?
res=$(tail -n 1 <<<"$out")
read -r dirs files records misfiled dups unreadable parts incomplete missing < <(xr_json dirs files \
	records misfiled duplicates unreadable parts incomplete missing <<<"$res" | paste -sd' ')
xr_log "checked $dirs channel directories, $files files, $records records"
examples=$(xr_json examples <<<"$res")
xr_soft '[ "$misfiled" = 0 ]' "none misfiled: every record in the files of the channel that owned its port when it was received" "$misfiled misfiled: $examples"
xr_soft '[ "$dups" = 0 ]' "no datagram twice, seq increasing per shard" "$dups: $examples"
xr_soft '[ "$unreadable" = 0 ] && [ "$parts" = 0 ]' "every file reads to its end, none left as .part" \
	"$unreadable unreadable, $parts .part: $examples"
xr_soft '[ "$incomplete" = 0 ]' "every datagram sent well within a lifetime is in its files" \
	"$incomplete lifetime(s), $missing datagrams: $examples"
xr_soft '[ $rc = 0 ] || [ ${#XR_SOFT_FAILS[@]} -gt 0 ]' "the checker ran" "$out"
xr_soft_verdict
xr_pass "$OPS API operations under load: $nlt lifetimes, $records records in $files files, none misfiled, none lost"
