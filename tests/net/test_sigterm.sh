#!/bin/bash
# SPDX-License-Identifier: MIT
# SIGTERM under load, then a restart.
#
# What is exactly checkable when the dataplane is stopped mid-stream at a rate where it may
# legitimately drop (and count) packets:
#  - it exits 0 within 5 s, detached (no XDP program left on the interface);
#  - no .part file is left; every file is readable to its last record (both readers);
#  - every record is an intact datagram that was sent, none twice, in send order; seq strictly
#    increases per shard, and its gaps are no more than the counted drops;
#  - the files hold exactly recorded_packets records, and rx_packets = recorded_packets +
#    dropped_packets: every packet the XDP program took for the channel is either in a file or
#    counted as dropped, none vanishes in the shutdown (the counters are read after the exit;
#    the maps are pinned, xrelay-api keeps serving them);
#  - recording went on until the signal: the last record is at most 200 ms older than it.
# Then a new dataplane on the same pins serves the same channel: 20,000 more datagrams are all
# recorded in new files (seq consecutive) and counted.
#
# Load: SIGTERM_RATE datagrams/s (default 200,000) of 0-200 bytes, the generator on CPU 0 and
# the dataplane on CPU 1, with one re-send destination.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane
xr_veth

RATE=${SIGTERM_RATE:-200000}
N=$((RATE * 4))
SEED=$((RANDOM * 32768 + RANDOM))
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)
xr_api
xr_dataplane --xdp-mode native "${CPUS[@]}"
xr_channel_create '{"name": "st", "port": 6300, "addr": "'$XR_H4'", "destinations": [
	{"addr": "239.40.0.1", "port": 7300, "ttl": 1, "interface": "'"$XR_H"'"}]}'

xr_bg gen nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst $XR_H4 --port 6300 \
	--src-port 47000 --count $N --rate "$RATE" --max-len 200 --batch 64 --seed $SEED
sleep 1
before=$(xr_curl GET /channels/st/stats)
t_kill=$(xr_now_ns)
kill -TERM "$XR_DP_PID"
for i in $(seq 100); do
	xr_alive "$XR_DP_PID" || break
	sleep 0.05
done
t_gone=$(xr_now_ns)
xr_alive "$XR_DP_PID" && xr_fail "xrelay-dataplane still running 5 s after SIGTERM"
wait "$XR_DP_PID"
rc_dp=$?
xr_stop "${XR_BG[gen]}"
gen=$(cat "$XR_TMP/gen.out")
sent=$(xr_json sent <<<"$gen")
xr_log "under load: $(xr_json rx_packets <<<"$before") datagrams matched before the SIGTERM, $sent sent in all"
xr_soft '[ $rc_dp = 0 ]' "xrelay-dataplane exited 0, $(((t_gone - t_kill) / 1000000)) ms after SIGTERM" "status $rc_dp"
xr_soft '! ip link show dev "$XR_H" | grep -q xdp' "no XDP program left on $XR_H" "$(ip link show dev "$XR_H")"

stats=$(xr_curl GET /channels/st/stats)
read -r rx rec dropped ring < <(xr_json rx_packets recorded_packets dropped_packets drops.ring_full <<<"$stats" | paste -sd' ')
xr_log "counters after the exit: rx $rx, recorded $rec, dropped $dropped"
parts=$(find "$XR_OUT/st" -name '*.part' | sort)
xr_soft '[ -z "$parts" ]' "no .part file left" "$(basename -a $parts 2>/dev/null | tr '\n' ' ')"
if [ -n "$parts" ]; then
	# Say what the leftover holds, and what the dataplane did around the stop.
	for p in $parts; do
		n=$("$XR_PY" "$AVRO_READ" --no-check "$p" 2>/dev/null | tail -n +2 | wc -l)
		xr_log "    left behind: $(basename "$p"), $(stat -c %s "$p") bytes, $n records readable"
	done
	xr_log "    dataplane log from the stop: $(grep -A5 stopping "$XR_TMP/dp.log" |
		sed 's/^xrelay-dataplane: info: //' | tr '\n' '|')"
fi
# The renamed files (with --allow-part the .part ones are not counted).
v=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/st" --lossy --count "$sent" --seed $SEED --allow-part \
	--src $XR_P4 --sport 47000 --dst $XR_H4 --dport 6300 --max-len 200 --queues 1 2>&1)
rc=$?
xr_check '[ $rc = 0 ]' "every closed file readable to the end; each record an intact datagram that was sent, once, in order, seq increasing" "$(tail -n 1 <<<"$v")"
read -r files records gaps ts_max < <(xr_json files records shards.0.seq_gaps ts_max <<<"$v" | paste -sd' ')
xr_soft '[ "$records" = "$rec" ]' "the closed files hold recorded_packets = $rec records" "they hold $records"
xr_soft '[ $((rec + dropped)) = "$rx" ]' "rx_packets $rx = recorded $rec + dropped $dropped: nothing vanished in the shutdown" "$stats"
xr_soft '[ "$gaps" -le "$dropped" ]' "seq gaps in the files ($gaps) <= counted drops ($dropped)" "$stats"
xr_soft '[ "$ts_max" -ge $((t_kill - 200000000)) ]' \
	"recorded until the signal: the last record at $(((ts_max - t_kill) / 1000000)) ms from it (>= -200)" "ts_max $ts_max, SIGTERM at $t_kill"

# Phase 2: a new dataplane on the same pins and channel; the old files are set aside.
mkdir -p "$XR_TMP/phase1" && mv "$XR_OUT/st" "$XR_TMP/phase1/st"
xr_dataplane --xdp-mode native "${CPUS[@]}"
code=$(xr_curl GET /channels/st >/dev/null; xr_status)
xr_check '[ "$code" = 200 ]' "the channel is still there after the restart" "GET /channels/st: $code"
t0=$(xr_now_ns)
xr_peer "$UDPGEN" --dst $XR_H4 --port 6300 --src-port 47000 --count 20000 --rate 20000 \
	--max-len 200 --seed $((SEED + 1)) >/dev/null || xr_fail "udpgen after the restart failed"
t1=$(xr_now_ns)
xr_wait_stats st recorded_packets $((rec + 20000)) 5
stats2=$(xr_curl GET /channels/st/stats)
read -r rx2 rec2 < <(xr_json rx_packets recorded_packets <<<"$stats2" | paste -sd' ')
xr_stop "$XR_DP_PID" || xr_fail "the restarted xrelay-dataplane exited $? on SIGTERM"
v2=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/st" --count 20000 --seed $((SEED + 1)) --src $XR_P4 \
	--sport 47000 --dst $XR_H4 --dport 6300 --max-len 200 --queues 1 \
	--t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) 2>&1)
rc=$?
xr_check '[ $rc = 0 ]' "after the restart all 20000 new datagrams are in new files, seq consecutive" "$(tail -n 1 <<<"$v2")"
xr_check '[ $((rx2 - rx)) = 20000 ] && [ $((rec2 - rec)) = 20000 ]' \
	"the counters go on: rx +$((rx2 - rx)), recorded +$((rec2 - rec))" "$stats2"

xr_soft_verdict
xr_pass "SIGTERM at $RATE/s: exit 0 in $(((t_gone - t_kill) / 1000000)) ms, $files file(s) whole, $rec records = rx $rx - dropped $dropped; restarted: 20000 more recorded"
