#!/bin/bash
# SPDX-License-Identifier: MIT
# A veth with 2 active queues: traffic sent from both CPUs lands on both rx queues (a frame
# sent from CPU k arrives on queue k of a veth), so the dataplane serves two AF_XDP sockets
# and writes two shards per channel. Both shards together must hold every datagram once, each
# shard's seq must be consecutive from 0, and nothing may be missed (no redirect_miss: a queue
# without a socket would pass its packets to the kernel).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane
[ "$(nproc)" -ge 2 ] || xr_skip "needs 2 CPUs to send on 2 queues ($(nproc) here)"
xr_veth 2

N=60000
HALF=$((N / 2))
RATE=15000
SEED=$((RANDOM * 32768 + RANDOM))
xr_api
xr_dataplane --xdp-mode native --queues all
queues=$(xr_get /stats dataplane.queues)
xr_check '[ "$queues" = 2 ]' "the dataplane serves 2 rx queues of $XR_H" "dataplane.queues $queues"
xr_channel_create '{"name": "tq", "port": 5900, "addr": "'$XR_H4'", "destinations": [
	{"addr": "239.30.0.1", "port": 6900, "ttl": 1, "interface": "'"$XR_H"'"}]}'
xr_sub sub --group 239.30.0.1 --port 6900 --if "$XR_P" --expect $N --seed $SEED --timeout 40

# Datagrams 0..N/2-1 from CPU 0, N/2..N-1 from CPU 1, at the same time.
t0=$(xr_now_ns)
xr_bg c0 nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst $XR_H4 --port 5900 \
	--src-port 44000 --count $HALF --rate $RATE --seed $SEED
xr_bg c1 nsenter --net=/run/netns/"$XR_NS" taskset -c 1 "$UDPGEN" --dst $XR_H4 --port 5900 \
	--src-port 44000 --first $HALF --count $HALF --rate $RATE --seed $SEED
xr_wait c0 || xr_fail "udpgen on CPU 0 failed: $(cat "$XR_TMP/c0.err")"
xr_wait c1 || xr_fail "udpgen on CPU 1 failed: $(cat "$XR_TMP/c1.err")"
t1=$(xr_now_ns)
xr_wait sub
rc_sub=$?

xr_wait_stats tq recorded_packets $N 5
stats=$(xr_curl GET /channels/tq/stats)
read -r rx rec sent drop miss < <(xr_json rx_packets recorded_packets sent_packets dropped_packets \
	drops.redirect_miss <<<"$stats" | paste -sd' ')
xr_check '[ "$rx" = $N ] && [ "$rec" = $N ] && [ "$sent" = $N ] && [ "$drop" = 0 ]' \
	"/stats: rx = recorded = sent = $N, dropped 0 (redirect_miss $miss)" "$stats"
xr_check '[ $rc_sub = 0 ]' "the subscriber got all $N re-sent datagrams intact, once each" "$(cat "$XR_TMP/sub.out")"

xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane exited $? on SIGTERM"
v=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/tq" --count $N --seed $SEED --src $XR_P4 --sport 44000 \
	--dst $XR_H4 --dport 5900 --t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) --queues 2 --in-order 2>&1)
rc=$?
xr_check '[ $rc = 0 ]' "both shards together hold datagrams 0..$((N - 1)) exactly once, seq consecutive and indices increasing per shard" "$(tail -n 1 <<<"$v")"
read -r r0 r1 s0 s1 < <(xr_json shards.0.records shards.1.records shards.0.first_seq shards.1.first_seq <<<"$v" | paste -sd' ')
xr_check '[ "$r0" != missing ] && [ "$r1" != missing ] && [ "$r0" -gt 0 ] && [ "$r1" -gt 0 ]' \
	"both queues have a shard: q0 $r0 records, q1 $r1 records" "$v"
xr_check '[ "$s0" = 0 ] && [ "$s1" = 0 ]' "each shard's seq starts at 0" "q0 from $s0, q1 from $s1"

xr_pass "2 queues: shards of $r0 + $r1 records hold all $N datagrams once, seq consecutive per shard; $N re-sent"
