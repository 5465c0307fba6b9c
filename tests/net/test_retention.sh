#!/bin/bash
# SPDX-License-Identifier: MIT
# Retention (issue 14): the dataplane keeps a small file system from filling, and applies a
# channel's own limits, while recording goes on.
#
# The output folder is an 8 MiB tmpfs (RETENTION_MB) made and removed here; files rotate at
# 256 KiB and --keep-free is 25%. Phase 1: datagrams of 900-1000 bytes flow for as long as it
# takes to write the disk's size 3.5 times over (RETENTION_RATE/s, default 6,000). Checks:
#  - the free space, sampled every 0.1 s, never fell below 256 KiB: the disk never filled;
#  - recording was never interrupted: no no_writer, write_failed or buffer_full drop, and the
#    books balance (xr_books);
#  - every file left reads to its end with python3-avro and they hold one contiguous run of
#    datagrams ending with the last one sent (only the oldest files went): the records in the
#    files + those before the first one left == recorded_packets;
#  - each removal is logged with its size, and files_deleted / bytes_deleted equal the lines
#    and the sizes logged (in /stats, and at the end in /metrics); every removal was for
#    --keep-free.
# Phase 2, the channel's limits through the API: PATCH retention.max_bytes = 1 MiB while more
# traffic flows: at rest the channel's files take at most 1 MiB. Then a reader holds a shared
# flock on the oldest file and max_age = 1 s is PATCHed: every other closed file goes, that
# one stays (the .part being written too) until the reader lets go. At the end (after SIGTERM
# closes the last file): files closed (per the log) == files left + files_deleted, every file
# logged as removed is gone, and the books balance.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 150 "$@"
xr_need_tools
xr_need_dataplane
xr_veth

MB=${RETENTION_MB:-8}
RATE=$(xr_rate "${RETENTION_RATE:-6000}")
SEED=$((RANDOM * 32768 + RANDOM))
N1=$((MB * 1048576 * 7 / 2 / 950))
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)
XR_OUT=$XR_TMP/disk
xr_tmpfs "$XR_OUT" "${MB}m"
CH=$XR_OUT/ret
GEN=(nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst "$XR_H4" --port 6800
	--src-port 47300 --min-len 900 --max-len 1000 --batch 16 --seed "$SEED")
xr_api
xr_dataplane --xdp-mode native "${CPUS[@]}" --rotate-bytes $((256 << 10)) --keep-free 25%
xr_channel_create '{"name": "ret", "port": 6800, "addr": "'$XR_H4'"}'
LOG=$XR_TMP/dp.log

stats_of() { xr_curl GET /channels/ret/stats | xr_json "$@" | paste -sd' '; }
avail_kb() { df -k --output=avail "$XR_OUT" | tail -n 1 | tr -d ' '; }
# removed_log: the files the dataplane logged as removed, "NAME BYTES WHY" a line.
removed_log() {
	sed -n 's|.*retention: removed .*/ret/\([^ ]*\) (\([0-9]*\) bytes, closed [0-9]* s ago): \(.*\)|\1 \2 \3|p' "$LOG"
}
# wait_no_part SECONDS: until no .part file is left in the channel's folder.
wait_no_part() {
	local i
	for i in $(seq $(($1 * 10))); do
		[ -z "$(find "$CH" -name '*.avro.part')" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. The disk's size 3.5 times over, free space sampled all along.
(
	while :; do
		avail_kb
		sleep 0.1
	done
) >"$XR_TMP/avail.log" 2>/dev/null &
XR_PIDS+=($!)
SAMPLER=$!
xr_log "phase 1: $N1 datagrams of 900-1000 bytes at $RATE/s into a $MB MiB disk (~$((N1 * 950 / 1048576)) MiB)"
"${GEN[@]}" --count "$N1" --rate "$RATE" >"$XR_TMP/gen1.out" 2>"$XR_TMP/gen1.err" ||
	xr_fail "udpgen (phase 1) failed: $(cat "$XR_TMP/gen1.err")"
sent1=$(xr_json sent <"$XR_TMP/gen1.out")
xr_books ret 0
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
min_kb=$(sort -n "$XR_TMP/avail.log" | head -n 1)
xr_soft '[ "$min_kb" -ge 256 ]' \
	"the $MB MiB disk never filled: at least $min_kb KiB free in $(wc -l <"$XR_TMP/avail.log") samples"
read -r rx rec nowriter wfail bfull dropped < <(stats_of rx_packets recorded_packets \
	drops.no_writer drops.write_failed drops.buffer_full dropped_packets)
xr_soft '[ "$nowriter" = 0 ] && [ "$wfail" = 0 ] && [ "$bfull" = 0 ]' \
	"recording never interrupted: no_writer $nowriter, write_failed $wfail, buffer_full $bfull (all drops: $dropped)"
xr_soft '[ "$rx" = "$sent1" ]' "all $sent1 datagrams sent reached the channel (rx_packets $rx)"

# Close the files being written (SIGHUP starts new ones only when data comes), then read all.
kill -HUP "$XR_DP_PID"
wait_no_part 5 || xr_fail "the .part file was not closed after SIGHUP" "$(ls -la "$CH")"
v=$("$XR_PY" "$VERIFY" --dir "$CH" --count any --seed "$SEED" --src $XR_P4 --sport 47300 \
	--dst $XR_H4 --dport 6800 --min-len 900 --max-len 1000 --queues 1 --jobs "$(nproc)" 2>&1)
rc=$?
summary=$(head -n 1 <<<"$v")
read -r files records first_seq last_seq first_idx last_idx < <(xr_json files records \
	shards.0.first_seq shards.0.last_seq first_index last_index <<<"$summary" | paste -sd' ')
xr_soft '[ $rc = 0 ]' "every file left reads to its end (python3-avro), the records one contiguous run, seq consecutive" \
	"$(tail -n 1 <<<"$v")"
xr_soft '[ "$last_idx" = $((sent1 - 1)) ] && [ "$first_idx" = "$first_seq" ]' \
	"only the oldest files went: the files hold datagrams $first_idx..$last_idx of 0..$((sent1 - 1))"
xr_soft '[ $((records + first_seq)) = "$rec" ]' \
	"$records records in $files files + $first_seq in the removed ones == recorded_packets $rec"
read -r fdel bdel < <(stats_of files_deleted bytes_deleted)
nlog=$(removed_log | wc -l)
blog=$(removed_log | awk '{s += $2} END {print s + 0}')
nkeep=$(removed_log | grep -c -- '--keep-free')
xr_soft '[ "$fdel" -gt 0 ] && [ "$fdel" = "$nlog" ] && [ "$bdel" = "$blog" ]' \
	"files_deleted $fdel and bytes_deleted $bdel == the $nlog removals logged ($blog bytes)"
xr_soft '[ "$nkeep" = "$nlog" ]' "every removal of phase 1 was for --keep-free ($nkeep of $nlog)"
xr_log "phase 1: $sent1 datagrams ($((sent1 * 950 / 1048576)) MiB), $fdel files ($((bdel >> 10)) KiB) removed, $files left"

# 2a. max_bytes through the API, with traffic.
out=$(xr_curl PATCH /channels/ret '{"retention": {"max_bytes": 1048576}}')
xr_check '[ "$(xr_status)" = 200 ] && [ "$(xr_json retention.max_bytes <<<"$out")" = 1048576 ]' \
	"PATCH retention.max_bytes = 1 MiB" "$(xr_status) $out"
N2=$((RATE * 2))
"${GEN[@]}" --first "$sent1" --count "$N2" --rate "$RATE" >"$XR_TMP/gen2.out" 2>"$XR_TMP/gen2.err" ||
	xr_fail "udpgen (phase 2) failed: $(cat "$XR_TMP/gen2.err")"
sleep 1.5
total=$(find "$CH" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
xr_soft '[ "$total" -le 1048576 ]' \
	"at rest the channel's files take $total bytes <= max_bytes 1048576 ($(find "$CH" -name '*.avro' | wc -l) closed + the one being written)"
xr_soft '[ "$(removed_log | grep -c max_bytes)" -gt 0 ]' \
	"removals for max_bytes logged: $(removed_log | grep -c max_bytes)"

# 2b. max_age with a reader holding the oldest file.
oldest=$(find "$CH" -name '*.avro' -printf '%T@ %f\n' | sort -n | head -n 1 | cut -d' ' -f2)
[ -n "$oldest" ] || xr_fail "no closed file left to lock" "$(ls -la "$CH")"
rm -f "$XR_TMP/locked" "$XR_TMP/release"
xr_bg reader "$XR_PY" -c '
import fcntl, os, sys, time
f = open(sys.argv[1], "rb")
fcntl.flock(f, fcntl.LOCK_SH)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
' "$CH/$oldest" "$XR_TMP/locked" "$XR_TMP/release"
xr_wait_file "$XR_TMP/locked" 5 || xr_fail "the reader did not lock $oldest"
out=$(xr_curl PATCH /channels/ret '{"retention": {"max_age": 1}}')
limits=$(xr_json retention.max_age retention.max_bytes <<<"$out" | paste -sd' ')
xr_check '[ "$(xr_status)" = 200 ] && [ "$limits" = "1 1048576" ]' \
	"PATCH retention.max_age = 1 s (max_bytes kept)" "$(xr_status) $out"
sleep 3
left=$(find "$CH" -name '*.avro' -printf '%f\n' | sort | paste -sd' ')
xr_soft '[ "$left" = "$oldest" ] && [ -n "$(find "$CH" -name "*.avro.part")" ]' \
	"past max_age every closed file went but the one a reader holds ($oldest) and the one being written" \
	"left: $left; $(ls "$CH")"
touch "$XR_TMP/release"
xr_wait reader
sleep 2
xr_soft '[ ! -e "$CH/$oldest" ]' "once the reader let go, $oldest went too"

# 3. The end: the last file closed, the counters against the log.
xr_books ret 0
xr_stop "$XR_DP_PID"
rc_dp=$?
xr_soft '[ $rc_dp = 0 ]' "xrelay-dataplane exited 0 on SIGTERM" "status $rc_dp"
read -r fdel bdel < <(stats_of files_deleted bytes_deleted)
nlog=$(removed_log | wc -l)
blog=$(removed_log | awk '{s += $2} END {print s + 0}')
nclosed=$(grep -c 'channel ret: queue [0-9]*: closed ' "$LOG")
nleft=$(find "$CH" -name '*.avro' | wc -l)
xr_soft '[ "$fdel" = "$nlog" ] && [ "$bdel" = "$blog" ]' \
	"files_deleted $fdel and bytes_deleted $bdel == the $nlog removals logged ($blog bytes)"
xr_soft '[ "$nclosed" = $((nleft + fdel)) ]' \
	"files closed ($nclosed, per the log) == files left ($nleft) + files_deleted ($fdel)"
mf=$(curl -s "$XR_API/metrics" | grep '^xrelay_files_deleted_total{channel="ret"}' | awk '{print $2}')
mb=$(curl -s "$XR_API/metrics" | grep '^xrelay_bytes_deleted_total{channel="ret"}' | awk '{print $2}')
xr_soft '[ "$mf" = "$fdel" ] && [ "$mb" = "$bdel" ]' \
	"/metrics: xrelay_files_deleted_total $mf, xrelay_bytes_deleted_total $mb, as /stats"
# A name removed within the second its file started can be taken again by the next file of
# that second: a name is there at the end exactly when it was closed more often than removed.
wrong=$(removed_log | awk '{print $1}' | sort | uniq -c | while read -r n f; do
	c=$(grep -c "channel ret: queue [0-9]*: closed $f\$" "$LOG")
	if [ -e "$CH/$f" ]; then [ "$c" -gt "$n" ] || echo "$f (closed $c, removed $n, there)"
	else [ "$c" = "$n" ] || echo "$f (closed $c, removed $n, gone)"; fi
done)
xr_soft '[ -z "$wrong" ]' "every file logged as removed is gone (or its name was taken again by a later file)" "$wrong"
xr_soft_verdict
times=$(awk -v b="$(stats_of recorded_bytes)" -v mb="$MB" 'BEGIN {printf "%.1f", b / (mb * 1048576)}')
xr_pass "an $MB MiB disk written ${times}x over never filled ($min_kb KiB free at least), $fdel files removed and counted, recording uninterrupted, max_bytes/max_age/locks honoured"
