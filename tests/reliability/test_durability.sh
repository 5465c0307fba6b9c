#!/bin/bash
# SPDX-License-Identifier: MIT
# Durability of closed files (issue 10, case 6): a closed .avro is synced before its rename
# and its folder after, so a power loss never leaves one torn or empty. The output folder is
# an ext4 file system on a loop device of the test's own (journal commits every 600 s, so the
# only flushes are the ones asked for); the loop device counts the flushes it gets.
#  - --fsync close (the default): 20,000 datagrams rotated into files of 256 KiB: at least one
#    flush per closed file; every file reads to its end (python3-avro), exactly the datagrams;
#    the books balance.
#  - --fsync never: the same traffic asks for no flush at all.
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
xr_begin 120 "$@"
xr_need_tools
xr_need_dataplane
command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null || xr_skip "no mkfs.ext4/losetup"
xr_veth
xr_api
N=20000
SEED=$((RANDOM * 32768 + RANDOM))

flushes() { awk '{print $16}' "/sys/block/$(basename "$LOOP")/stat"; }

run() { # MODE: prints "files flushes"
	local mode=$1 img=$XR_TMP/$1.img f0 t0 t1 stats rx rec dropped
	truncate -s 128M "$img"
	mkfs.ext4 -q -F "$img" || xr_fail "mkfs.ext4 failed"
	LOOP=$(losetup -f --show "$img") || xr_skip "no loop device"
	XR_LOOPS+=("$LOOP")
	mkdir -p "$XR_TMP/$mode"
	mount -o commit=600 "$LOOP" "$XR_TMP/$mode" || xr_fail "mount of $LOOP failed"
	XR_OUT=$XR_TMP/$mode/out
	mkdir -p "$XR_OUT"
	xr_dataplane --xdp-mode native --rotate-bytes 262144 --fsync "$mode"
	xr_channel_create '{"name": "d'"$mode"'", "port": 6700, "addr": "'$XR_H4'"}'
	sync
	f0=$(flushes)
	t0=$(xr_now_ns)
	xr_peer "$UDPGEN" --dst $XR_H4 --port 6700 --src-port 40000 --count $N --rate 50000 \
		--max-len 200 --seed $SEED --bind-if "$XR_P" >/dev/null || xr_fail "udpgen failed"
	t1=$(xr_now_ns)
	xr_wait_stats "d$mode" recorded_packets $N 5
	xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane ($mode) did not exit 0"
	FLUSHES=$(($(flushes) - f0))
	stats=$(xr_curl GET "/channels/d$mode/stats")
	read -r rx rec dropped < <(xr_json rx_packets recorded_packets dropped_packets <<<"$stats" |
		paste -sd' ')
	xr_check '[ "$rx" = $N ] && [ "$rec" = $N ] && [ "$dropped" = 0 ]' \
		"--fsync $mode: the books balance: rx $rx = recorded $rec + dropped $dropped" "$stats"
	FILES=$(find "$XR_OUT/d$mode" -name '*.avro' | wc -l)
	xr_check '[ -z "$(find "$XR_OUT/d$mode" -name "*.part")" ]' "--fsync $mode: no .part left"
	verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/d$mode" --count $N --seed $SEED --src $XR_P4 \
		--sport 40000 --dst $XR_H4 --dport 6700 --max-len 200 --t0 $((t0 - 10000000)) \
		--t1 $((t1 + 10000000)) --queues 1 2>&1) ||
		xr_fail "--fsync $mode: the files do not read back exact: $(tail -n 1 <<<"$verify")"
	xr_log "ok: --fsync $mode: $FILES files read back exact by python3-avro; $FLUSHES flushes"
	xr_curl DELETE "/channels/d$mode" >/dev/null
	umount "$XR_TMP/$mode"
}

XR_LOOPS=()
trap 'for l in "${XR_LOOPS[@]}"; do umount -l "$XR_TMP"/*/ 2>/dev/null; losetup -d "$l" 2>/dev/null; done; xr__cleanup' EXIT
run close
xr_check '[ "$FILES" -ge 5 ] && [ "$FLUSHES" -ge "$FILES" ]' \
	"--fsync close: $FLUSHES flushes for $FILES closed files (at least one each)"
close_files=$FILES close_flushes=$FLUSHES
run never
xr_check '[ "$FLUSHES" = 0 ]' "--fsync never: no flush ($FLUSHES)"
xr_pass "--fsync close: $close_flushes flushes for $close_files files; never: $FLUSHES; every file exact"
