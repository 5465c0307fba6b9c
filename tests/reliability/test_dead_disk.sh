#!/bin/bash
# SPDX-License-Identifier: MIT
# A disk that stops answering while traffic flows, then a stop (issue 10, case 9): the output
# folder is an ext4 of the test's own (a loop device) frozen with fsfreeze, so every write to
# it blocks. SIGTERM must still end the dataplane: past its 10 s deadline it cancels what is in
# flight and exits without freeing a buffer a blocked write still reads (ASan builds check the
# rest). After the thaw, a new dataplane recovers the .part files: every file reads to its end
# with python3-avro, no record twice, and the books balance, the stopped one's unsettled
# datagrams counted as dataplane_died.
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
xr_begin 150 "$@"
xr_need_tools
xr_need_dataplane
for t in mkfs.ext4 losetup fsfreeze; do command -v $t >/dev/null || xr_skip "no $t"; done
xr_veth
xr_api
SEED=$((RANDOM * 32768 + RANDOM))
img=$XR_TMP/disk.img
truncate -s 256M "$img"
mkfs.ext4 -q -F "$img" || xr_fail "mkfs.ext4 failed"
LOOP=$(losetup -f --show "$img") || xr_skip "no loop device"
MNT=$XR_TMP/disk
mkdir -p "$MNT"
mount "$LOOP" "$MNT" || xr_fail "mount failed"
trap 'fsfreeze -u "$MNT" 2>/dev/null; umount -l "$MNT" 2>/dev/null; losetup -d "$LOOP" 2>/dev/null; xr__cleanup' EXIT
XR_OUT=$MNT/out
mkdir -p "$XR_OUT"
xr_dataplane --xdp-mode native --flush-ms 20
xr_channel_create '{"name": "dd", "port": 6800, "addr": "'$XR_H4'"}'
xr_bg gen xr_peer "$UDPGEN" --dst $XR_H4 --port 6800 --src-port 40000 --count 300000 \
	--rate 50000 --max-len 200 --seed $SEED --bind-if "$XR_P"
sleep 2
fsfreeze -f "$MNT" || xr_fail "fsfreeze failed"
xr_log "the disk is frozen; traffic goes on for 1 s, then SIGTERM"
sleep 1
t0=$(date +%s)
kill -TERM "$XR_DP_PID"
# Past its 10 s deadline the dataplane cancels what is in flight and its workers return. A
# write blocked on the frozen file system cannot be cancelled (it waits uninterruptibly in the
# kernel), so the kernel itself holds the process's exit until the disk answers again.
for i in $(seq 160); do
	grep -q "still in flight after cancelling\|exiting" "$XR_TMP/dp.log" && break
	xr_alive "$XR_DP_PID" || break
	sleep 0.1
done
t1=$(date +%s)
xr_check 'grep -q "still in flight after cancelling" "$XR_TMP/dp.log" || ! xr_alive "$XR_DP_PID"' \
	"$((t1 - t0)) s after SIGTERM the workers had cancelled and returned (deadline 10 s)" \
	"$(tail -3 "$XR_TMP/dp.log")"
xr_check '[ $((t1 - t0)) -le 14 ]' "within the deadline and the cancel's second" "$((t1 - t0)) s"
xr_check '! ip link show "$XR_H" | grep -q "prog/xdp"' "no XDP program left on $XR_H"
fsfreeze -u "$MNT" || xr_fail "fsfreeze -u failed"
for i in $(seq 100); do
	xr_alive "$XR_DP_PID" || break
	sleep 0.1
done
xr_alive "$XR_DP_PID" && xr_fail "xrelay-dataplane did not end within 10 s of the thaw"
wait "$XR_DP_PID"
rc=$?
xr_wait gen
xr_check '! grep -q "AddressSanitizer\|runtime error" "$XR_TMP/dp.log"' "no sanitizer report; exit status $rc" "$(grep -A5 Sanitizer "$XR_TMP/dp.log")"
# A new dataplane recovers the .part files and settles the books of the one before.
xr_dataplane --xdp-mode native
xr_stop "$XR_DP_PID" || xr_fail "the second dataplane did not exit 0"
stats=$(xr_curl GET /channels/dd/stats)
read -r rx rec notrec dropped died < <(xr_json rx_packets recorded_packets not_recorded_packets \
	dropped_packets drops.dataplane_died <<<"$stats" | paste -sd' ')
xr_check '[ "$rx" = $((rec + notrec + dropped)) ]' \
	"the books balance: rx $rx = recorded $rec + not recorded $notrec + dropped $dropped ($died dataplane_died)" "$stats"
v=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/dd" --lossy --count any --seed $SEED --src $XR_P4 \
	--sport 40000 --dst $XR_H4 --dport 6800 --max-len 200 --queues 1 --records "$rec" 2>&1)
xr_check '[ $? = 0 ]' "every file reads to its end, each record a datagram sent, once, in order; records = recorded_packets" "$(tail -n 1 <<<"$v")"
xr_pass "a frozen disk: the stop ended in $((t1 - t0)) s; after the thaw every file reads back, the books balance"
