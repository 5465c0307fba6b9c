#!/bin/bash
# SPDX-License-Identifier: MIT
# kill -9 under load (issue 10, the reliability suite): KILL9_RATE datagrams/s (default
# 200,000, 0-200 bytes; the generator on CPU 0, the dataplane on CPU 1) to a channel with one
# destination, while the dataplane is killed with SIGKILL at random moments and restarted with
# the same pins and --out, KILL9_ROUNDS times (default 10; make soak: 100). Then the traffic
# stops, the books are read at rest, the last dataplane stops with SIGTERM, and:
#  - every restart came up and renamed the .part files the kill left (recovered, not lost);
#  - every file reads to its end (both readers; all are checked, the unreadable ones counted);
#  - no record twice: every payload an intact datagram that was sent, none twice, and seq
#    strictly increasing over all files of the shard (in their name order);
#  - every seq gap is a counted drop: the seq numbers missing from the files (from 0 to the
#    last) <= the counted drops of numbered datagrams (all but redirect_miss and fragments,
#    which the XDP program passes before numbering), and "records lost unaccounted" =
#    rx_packets - records in the files - counted drops = 0;
#  - the files hold recorded_packets records (or more, by blocks written just before a kill
#    whose completion was never seen, at most the count of dataplane_died), and rx_packets =
#    recorded + dropped (xr_books).
# Prints the figures: kills survived, records lost unaccounted, files unreadable, and the
# re-sent copies unaccounted: a copy on the tx ring or in flight at the kill may or may not have
# left, and no process can know, so for the destinations it is a figure, not a check.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
ROUNDS=${KILL9_ROUNDS:-10}
xr_begin $((60 + ROUNDS * 12)) "$@"
xr_need_tools
xr_need_dataplane
xr_veth

RATE=$(xr_rate "${KILL9_RATE:-200000}")
SEED=$((RANDOM * 32768 + RANDOM))
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)
DP_ARGS=(--xdp-mode native "${CPUS[@]}")
CH=$XR_OUT/k9
xr_api
xr_dataplane "${DP_ARGS[@]}"
xr_channel_create '{"name": "k9", "port": 6600, "addr": "'$XR_H4'", "destinations": [
	{"addr": "239.43.0.1", "port": 7600, "ttl": 1, "interface": "'"$XR_H"'"}]}'

# Enough datagrams for every round at its longest; stopped once the rounds are done.
xr_bg gen nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst $XR_H4 --port 6600 \
	--src-port 47100 --count $((RATE * (ROUNDS * 5 + 20))) --rate "$RATE" --max-len 200 \
	--batch 64 --seed $SEED
xr_wait_stats k9 recorded_packets 1 5 || xr_fail "nothing recorded in 5 s" "$(xr_curl GET /channels/k9/stats)"

kills=0
parts_left=0
parts_stale=()
for ((round = 1; round <= ROUNDS; round++)); do
	# A random moment 50-600 ms into this run (one in three 300 ms later).
	sleep "$(printf '0.%03d' $((50 + RANDOM % 550 + (RANDOM % 3 == 0 ? 300 : 0))))"
	xr_alive "${XR_BG[gen]}" || xr_fail "udpgen stopped early: $(cat "$XR_TMP/gen.err")"
	kill -KILL "$XR_DP_PID"
	wait "$XR_DP_PID" 2>/dev/null
	kills=$((kills + 1))
	mapfile -t parts < <(find "$CH" -name '*.part' -printf '%f\n' 2>/dev/null)
	parts_left=$((parts_left + ${#parts[@]}))
	xr_dataplane "${DP_ARGS[@]}"
	for p in "${parts[@]}"; do
		[ -e "$CH/$p" ] && parts_stale+=("round $round: $p")
	done
done
sleep 0.5
xr_stop "${XR_BG[gen]}"
sent=$(xr_json sent <"$XR_TMP/gen.out")
xr_log "$kills kills at $RATE/s, $sent datagrams sent (seed $SEED), $parts_left .part file(s) left by the kills"
xr_soft '[ ${#parts_stale[@]} = 0 ]' "every restart renamed the .part files the kill left" \
	"${parts_stale[*]}"

# The books at rest, with the last dataplane still running; then a clean stop.
xr_books k9 0
read -r rx rec dropped unacc_books <<<"$XR_BOOKS"
stats=$(xr_curl GET /channels/k9/stats)
read -r unnumbered sent_copies send_err < <(xr_json drops.redirect_miss drops.fragments \
	sent_packets send_errors <<<"$stats" | paste -sd' ' | awk '{print $1 + $2, $3, $4}')
xr_stop "$XR_DP_PID"
rc_dp=$?
xr_soft '[ $rc_dp = 0 ]' "the last xrelay-dataplane exited 0 on SIGTERM" "status $rc_dp"
left=$(find "$CH" -name '*.part' -printf '%f ' 2>/dev/null)
xr_soft '[ -z "$left" ]' "no .part file left after the clean stop" "$left"

v=$("$XR_PY" "$VERIFY" --dir "$CH" --lossy --keep-going --count "$sent" --seed $SEED \
	--allow-part --jobs "$(nproc)" --src $XR_P4 --sport 47100 --dst $XR_H4 --dport 6600 --max-len 200 \
	--queues 1 2>&1)
rc=$?
summary=$(head -n 1 <<<"$v")
read -r files records gaps first_seq < <(xr_json files records shards.0.seq_gaps \
	shards.0.first_seq <<<"$summary" | paste -sd' ')
unreadable=$("$XR_PY" -c 'import json, sys; print(len(json.loads(sys.argv[1]).get("unreadable", [])))' \
	"$summary" 2>/dev/null || echo "?")
[ "$files" = missing ] && files=0 records=0 gaps=0 first_seq=0
gaps=$((gaps + first_seq))
xr_soft '[ $rc = 0 ]' "every file reads to its end; every record an intact datagram that was sent, none twice, seq strictly increasing" \
	"$(tail -n 1 <<<"$v")"
unacc=$((rx - records - dropped))
# Where the seq numbers went missing: at the first record of a file (a restart: what the killed
# process held, counted or not) or inside a file (lost before the worker: ring_full).
"$XR_PY" -c '
import json, sys
sh = json.loads(sys.argv[1]).get("shards", {}).get("0", {})
at = sh.get("gaps_at", [])
edge = [g for g in at if g[1] == 0]
inner = [g for g in at if g[1] != 0]
print("%s: seq gaps at the first record of a file (a restart): %d, %d numbers%s" % (sys.argv[2],
      len(edge), sum(g[3] - g[2] - 1 for g in edge),
      "".join("\n    %s starts at seq %d, the file before ends at %d: %d lost" % (g[0], g[3], g[2],
              g[3] - g[2] - 1) for g in edge)))
print("%s: seq gaps inside files: %d, %d numbers (first 32 gaps listed at most)" % (sys.argv[2],
      len(inner), sum(g[3] - g[2] - 1 for g in inner)))
' "$summary" "$XR_NAME"
xr_log "recovered at the restarts: $(grep -ho 'recovered [0-9]* records' "$XR_TMP"/dp*.log |
	awk '{n++; s += $2} END {print n + 0 " file(s), " s + 0 " records"}')"
xr_soft '[ "$gaps" -le $((dropped - unnumbered)) ]' \
	"every seq gap a counted drop: $gaps seq numbers missing from the files <= $((dropped - unnumbered)) counted drops of numbered datagrams"
# A block whose write completed in the kernel just before a kill is in the file, but its
# completion was never seen: it was counted with the rest of what the killed process held, as
# dataplane_died. So the files hold recorded_packets records, or more by at most that count.
died=$(xr_get /channels/k9/stats drops.dataplane_died)
xr_soft '[ "$records" -ge "$rec" ] && [ $((records - rec)) -le "$died" ]' \
	"the files hold recorded_packets = $rec records, or more by at most the $died counted as dataplane_died ($((records - rec)) more)" \
	"they hold $records"
xr_soft '[ $unacc -le 0 ]' "records lost unaccounted: rx $rx - in files $records - counted drops $dropped = $unacc (must be <= 0)"
copies_unacc=$((rx - unnumbered - sent_copies - send_err))
echo "$XR_NAME: figures: kills survived $kills of $ROUNDS, records lost unaccounted $((unacc > 0 ? unacc : 0)), files unreadable $unreadable ($files files, $records records, $sent sent, rx $rx, counted drops $dropped; re-sent copies unaccounted $copies_unacc)"
xr_soft_verdict
xr_pass "$kills kills at $RATE/s survived: $files files whole, $records records, none twice, none lost unaccounted"
