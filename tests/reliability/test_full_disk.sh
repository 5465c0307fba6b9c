#!/bin/bash
# SPDX-License-Identifier: MIT
# Full disk under load (issue 10, the reliability suite): the dataplane's --out is a small tmpfs
# (FULLDISK_MB, default 32 MiB, in the test's private mount namespace; files rotate at 2 MiB)
# that fills while FULLDISK_RATE datagrams/s (default 40,000, 0-400 bytes) flow to a channel
# with one destination. The disk stays full for FULLDISK_FULL_S seconds (default 3); then the
# four oldest closed files are deleted and a second, lighter run (10,000/s for 2 s, less than
# the space freed) follows. Checks:
#  - while the disk is full the dataplane keeps running, receiving and re-sending, and counts
#    what it cannot record (drops by cause, which are printed);
#  - recording resumes without a restart once space is freed: every datagram of the second run
#    is in the files;
#  - every file on the disk reads to its end, each record an intact datagram that was sent,
#    none twice, seq strictly increasing; the seq gaps are no more than the counted drops;
#  - the records in the files plus those in the deleted files == recorded_packets, and the books
#    balance at rest (xr_books: records and copies).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
FULL_S=${FULLDISK_FULL_S:-3}
xr_begin $((90 + FULL_S)) "$@"
xr_need_tools
xr_need_dataplane
xr_veth

RATE=$(xr_rate "${FULLDISK_RATE:-40000}")
MB=${FULLDISK_MB:-32}
SEED=$((RANDOM * 32768 + RANDOM))
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)
XR_OUT=$XR_TMP/disk
xr_tmpfs "$XR_OUT" "${MB}m"
CH=$XR_OUT/fd
GEN=(nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst "$XR_H4" --port 6700
	--src-port 47200 --max-len 400 --batch 64 --seed "$SEED")
xr_api
# --keep-free 0: retention would keep the disk from filling, which is what this test is about.
xr_dataplane --xdp-mode native "${CPUS[@]}" --rotate-bytes $((2 << 20)) --keep-free 0
xr_channel_create '{"name": "fd", "port": 6700, "addr": "'$XR_H4'", "destinations": [
	{"addr": "239.44.0.1", "port": 7700, "ttl": 1, "interface": "'"$XR_H"'"}]}'

# stats_of FIELD...: the channel's counters now.
stats_of() { xr_curl GET /channels/fd/stats | xr_json "$@" | paste -sd' '; }
avail_kb() { df -k --output=avail "$XR_OUT" | tail -n 1 | tr -d ' '; }

# 1. Fill the disk: run 1 until the disk is full, then FULL_S seconds more.
xr_bg gen1 "${GEN[@]}" --count $((RATE * (MB / 4 + FULL_S + 30))) --rate "$RATE"
t_full=
for i in $(seq $((MB / 2 * 10 + 100))); do
	read -r dropped < <(stats_of dropped_packets)
	if [ "$dropped" -gt 0 ] 2>/dev/null || [ "$(avail_kb)" -lt 64 ]; then
		t_full=$(xr_now_ns)
		break
	fi
	xr_alive "${XR_BG[gen1]}" || xr_fail "udpgen stopped early: $(cat "$XR_TMP/gen1.err")"
	sleep 0.1
done
[ -n "$t_full" ] || xr_fail "the $MB MiB disk did not fill" "$(df -k "$XR_OUT" | tail -n 1); $(stats_of rx_packets recorded_packets)"
xr_log "the disk is full ($(avail_kb) KiB free); $(stats_of rx_packets recorded_packets dropped_packets | awk '{print "rx " $1 ", recorded " $2 ", dropped " $3}')"
sleep 0.5
read -r rx_a rec_a sent_a drop_a < <(stats_of rx_packets recorded_packets sent_packets dropped_packets)
sleep "$FULL_S"
read -r rx_b rec_b sent_b drop_b < <(stats_of rx_packets recorded_packets sent_packets dropped_packets)
xr_stop "${XR_BG[gen1]}"
sent1=$(xr_json sent <"$XR_TMP/gen1.out")
xr_check 'xr_alive "$XR_DP_PID"' "xrelay-dataplane still runs after $FULL_S s on a full disk"
xr_soft '[ $((rx_b - rx_a)) -gt 0 ] && [ $((sent_b - sent_a)) -gt 0 ]' \
	"on the full disk it goes on receiving (rx +$((rx_b - rx_a))) and re-sending (+$((sent_b - sent_a)))"
# (Whether every one is counted is for the books at rest: counts lag the writes in flight.)
xr_soft '[ $((drop_b - drop_a)) -gt 0 ]' \
	"what it cannot record is counted as it goes: rx +$((rx_b - rx_a)), recorded +$((rec_b - rec_a)), dropped +$((drop_b - drop_a))" \
	"$(xr_curl GET /channels/fd/stats)"
xr_log "drops by cause on the full disk: $(xr_curl GET /channels/fd/stats | xr_json drops)"
xr_log "write errors logged: $(grep -c 'file error' "$XR_TMP/dp.log"), e.g. $(grep -m1 'file error' "$XR_TMP/dp.log" | sed 's/^xrelay-dataplane: //')"

# 2. Free space: delete the four oldest closed files (their records counted first).
sleep 0.5
mapfile -t old < <(find "$CH" -name '*.avro' -printf '%f\n' | sort | head -n 4)
[ ${#old[@]} -ge 1 ] || xr_fail "no closed file to delete" "$(ls -la "$CH")"
deleted=0
for f in "${old[@]}"; do
	n=$("$XR_PY" "$AVRO_READ" --no-check "$CH/$f" | tail -n +2 | wc -l) ||
		xr_fail "$f: not readable before the delete"
	deleted=$((deleted + n))
	rm -f "$CH/$f"
done
xr_log "deleted ${old[*]} ($deleted records); $(avail_kb) KiB free"
read -r rec_c < <(stats_of recorded_packets)
t_free=$(xr_now_ns)
"${GEN[@]}" --first "$sent1" --count 20000 --rate 10000 >"$XR_TMP/gen2.out" 2>"$XR_TMP/gen2.err" ||
	xr_fail "udpgen (run 2) failed: $(cat "$XR_TMP/gen2.err")"
xr_check 'xr_alive "$XR_DP_PID"' "xrelay-dataplane still runs (never restarted)"
sent=$((sent1 + 20000))

# 3. At rest: the books, then a clean stop and every file read back.
xr_books fd 1
read -r rx rec dropped unacc <<<"$XR_BOOKS"
xr_soft '[ $((rec - rec_c)) -ge 20000 ]' \
	"recording resumed without a restart: recorded +$((rec - rec_c)) since the space was freed (>= the 20000 of run 2)"
stats=$(xr_curl GET /channels/fd/stats)
numbered_drops=$((dropped - $(xr_json drops.redirect_miss <<<"$stats") - $(xr_json drops.fragments <<<"$stats")))
xr_stop "$XR_DP_PID"
rc_dp=$?
xr_soft '[ $rc_dp = 0 ]' "xrelay-dataplane exited 0 on SIGTERM" "status $rc_dp"
v=$("$XR_PY" "$VERIFY" --dir "$CH" --lossy --keep-going --jobs "$(nproc)" --count "$sent" \
	--complete-from "$sent1" --seed $SEED --src $XR_P4 --sport 47200 --dst $XR_H4 --dport 6700 \
	--max-len 400 --queues 1 2>&1)
rc=$?
summary=$(head -n 1 <<<"$v")
read -r files records gaps first_seq < <(xr_json files records shards.0.seq_gaps shards.0.first_seq \
	<<<"$summary" | paste -sd' ')
xr_soft '[ $rc = 0 ]' "every file reads to its end, each record an intact datagram, none twice, seq increasing; all of run 2 recorded" \
	"$(tail -n 1 <<<"$v")"
xr_soft '[ "$records" != missing ] && [ $((records + deleted)) = "$rec" ]' \
	"the files hold $records records + $deleted deleted = recorded_packets $rec" \
	"$((records + deleted)) != $rec"
xr_soft '[ "$gaps" != missing ] && [ "$gaps" -le "$numbered_drops" ]' \
	"the seq gaps in the files ($gaps) are no more than the counted drops ($numbered_drops)"
xr_soft_verdict
xr_pass "a full $MB MiB disk: kept running and counting ($dropped dropped), resumed after the delete; $files files whole, books balanced"
