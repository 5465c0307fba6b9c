#!/bin/bash
# SPDX-License-Identifier: MIT
# Channels change while traffic flows: one is created and another deleted mid-stream, with
# the dataplane running throughout.
#  - created: every datagram sent after the POST's 201 is in its files (udpgen's --timeline
#    says exactly which ones left after that moment), and what it holds is one contiguous run
#    of datagrams ending with the last one sent, seq from 0;
#  - deleted: within a second of the DELETE's 204 its files are closed and renamed (no .part
#    left), they hold a contiguous run from datagram 0 that includes every datagram sent before
#    the DELETE was asked for, and the channel is gone from the API.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane
xr_veth

RATE=$(xr_rate 10000)
SECS=4
N=$((RATE * SECS))
xr_api
xr_dataplane --xdp-mode native
xr_channel_create '{"name": "old", "port": 6100, "addr": "'$XR_H4'"}'

# Both streams start now and run SECS seconds; "new" does not exist yet.
xr_bg ga nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst $XR_H4 --port 6200 --src-port 45000 \
	--count $N --rate $RATE --seed 71 --timeline "$XR_TMP/ga.timeline"
xr_bg gb nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst $XR_H4 --port 6100 --src-port 46000 \
	--count $N --rate $RATE --seed 72 --timeline "$XR_TMP/gb.timeline"

sleep 1
xr_curl POST /channels '{"name": "new", "port": 6200, "addr": "'$XR_H4'"}' >/dev/null
t_201=$(xr_now_ns)
xr_check '[ "$(xr_status)" = 201 ]' "POST /channels new (while traffic flows) answered 201" "$(xr_status)"

sleep 1.5
t_del=$(xr_now_ns)
xr_curl DELETE /channels/old >/dev/null
t_204=$(xr_now_ns)
xr_check '[ "$(xr_status)" = 204 ]' "DELETE /channels/old (while traffic flows) answered 204" "$(xr_status)"
closed=""
for i in $(seq 40); do
	parts=$(find "$XR_OUT/old" -name '*.part' 2>/dev/null | wc -l)
	avros=$(find "$XR_OUT/old" -name '*.avro' 2>/dev/null | wc -l)
	if [ "$parts" = 0 ] && [ "$avros" -gt 0 ]; then
		closed=$((($(xr_now_ns) - t_204) / 1000000))
		break
	fi
	[ $((($(xr_now_ns) - t_204) / 1000000)) -gt 1000 ] && break
	sleep 0.025
done
xr_check '[ -n "$closed" ] && [ "$closed" -le 1000 ]' \
	"old's files closed and renamed ${closed:-?} ms after the 204 (at most 1000)" \
	"after 1 s: $(ls "$XR_OUT/old" 2>&1 | tr '\n' ' ')"
code=$(xr_curl GET /channels/old/stats >/dev/null; xr_status)
xr_check '[ "$code" = 404 ]' "GET /channels/old/stats is 404 after the DELETE" "$code"

xr_wait ga || xr_fail "udpgen to new failed: $(cat "$XR_TMP/ga.err")"
xr_wait gb || xr_fail "udpgen to old failed: $(cat "$XR_TMP/gb.err")"
xr_wait_stats new recorded_packets 1 5
# Let the last records of "new" reach its file: recorded stops moving once it equals rx.
for i in $(seq 50); do
	read -r rx rec < <(xr_get /channels/new/stats '' | xr_json rx_packets recorded_packets | paste -sd' ')
	[ "$rx" = "$rec" ] && break
	sleep 0.1
done
stats=$(xr_curl GET /channels/new/stats)
xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane exited $? on SIGTERM"

# What the timelines say: the first datagram to new whose sendmmsg began after the 201, and
# the last datagram to old whose sendmmsg had returned before the DELETE was sent.
must_from=$(awk -v t="$t_201" '$3 >= t { print $1; exit }' "$XR_TMP/ga.timeline")
must_until=$(awk -v t="$t_del" '$4 < t { last = $1 + $2 - 1 } END { print last }' "$XR_TMP/gb.timeline")
[ -n "$must_from" ] && [ -n "$must_until" ] || xr_fail "timelines too short"

vn=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/new" --count any --seed 71 --src $XR_P4 --sport 45000 \
	--dst $XR_H4 --dport 6200 --queues 1 2>&1)
rc=$?
xr_check '[ $rc = 0 ]' "new's files: one contiguous run of datagrams, seq consecutive" "$(tail -n 1 <<<"$vn")"
read -r new_lo new_hi seq0 recs < <(xr_json first_index last_index shards.0.first_seq records <<<"$vn" | paste -sd' ')
xr_check '[ "$new_lo" -le "$must_from" ] && [ "$new_hi" = $((N - 1)) ]' \
	"new holds datagrams $new_lo..$new_hi: every one sent after the 201 ($must_from..$((N - 1)))" "$vn"
xr_check '[ "$seq0" = 0 ]' "new's seq starts at 0" "first seq $seq0"
read -r rx rec < <(xr_json rx_packets recorded_packets <<<"$stats" | paste -sd' ')
xr_check '[ "$rx" = "$recs" ] && [ "$rec" = "$recs" ]' "/channels/new/stats rx = recorded = $recs records in the file" "$stats"

vo=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/old" --count any --seed 72 --src $XR_P4 --sport 46000 \
	--dst $XR_H4 --dport 6100 --queues 1 2>&1)
rc=$?
xr_check '[ $rc = 0 ]' "old's files: readable, one contiguous run, seq consecutive" "$(tail -n 1 <<<"$vo")"
read -r old_lo old_hi < <(xr_json first_index last_index <<<"$vo" | paste -sd' ')
xr_check '[ "$old_lo" = 0 ] && [ "$old_hi" -ge "$must_until" ]' \
	"old holds datagrams 0..$old_hi: every one sent before the DELETE (0..$must_until)" "$vo"

xr_pass "created mid-stream: $new_lo..$new_hi recorded, all sent after the 201 ($must_from..); deleted mid-stream: files closed $closed ms after the 204, 0..$old_hi recorded (all sent before it: 0..$must_until)"
