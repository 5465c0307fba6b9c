#!/bin/bash
# SPDX-License-Identifier: MIT
# The socket backend on loopback, where no XDP program can serve: --mode socket --iface lo.
# 20,000 datagrams of 0-1472 bytes to 127.0.0.1 and 5,000 to ::1 (two channels, the IPv4 one
# re-sent to a unicast subscriber on 127.0.0.1). The Avro files must hold exactly those
# datagrams (python3-avro), seq consecutive from 0, the subscriber must get all 20,000, /stats
# must say socket mode and why, rx_packets must equal recorded_packets, and the books balance.
# Then a dataplane with --sock-buffers provide (IORING_OP_PROVIDE_BUFFERS, the fallback for
# kernels without buffer rings) records 5,000 more on the same channel, numbered on from
# 20,000 in new files.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane

N=20000
N6=5000
N2=5000
RATE=$(xr_rate 20000)
SEED=$((RANDOM * 32768 + RANDOM))
XR_IFACE=lo
XR_MODE=socket
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)

xr_api
xr_dataplane "${CPUS[@]}"
read -r mode why bufs < <(xr_curl GET /stats | xr_json dataplane.mode dataplane.mode_why \
	dataplane.socket_buffers | paste -sd' ')
xr_check '[ "$mode" = socket ] && [ "$why" = asked ] && [ "$bufs" = ring ]' \
	"/stats: dataplane mode socket, why asked, buffers through a ring" "$mode $why $bufs"
xr_channel_create '{"name": "lo4", "port": 5400, "addr": "127.0.0.1", "destinations": [
	{"addr": "127.0.0.1", "port": 6400}]}'
xr_channel_create '{"name": "lo6", "port": 5406, "addr": "::1"}'
sleep 0.2 # the workers open the channel sockets on their next turn

xr_sub_here sub --bind 127.0.0.1 --port 6400 --expect $N --seed $SEED --timeout 60 --idle 5
t0=$(xr_now_ns)
gen=$(taskset -c 0 "$UDPGEN" --dst 127.0.0.1 --port 5400 --src-port 41000 --count $N \
	--rate "$RATE" --seed $SEED) || xr_fail "udpgen failed: $gen"
gen6=$(taskset -c 0 "$UDPGEN" --dst ::1 --port 5406 --src-port 41006 --count $N6 \
	--rate "$RATE" --seed $SEED) || xr_fail "udpgen to ::1 failed: $gen6"
t1=$(xr_now_ns)
xr_wait sub
rc_sub=$?
xr_wait_stats lo4 recorded_packets $N 5
xr_wait_stats lo6 recorded_packets $N6 5
xr_books lo4
xr_books lo6
read -r rx rec < <(xr_curl GET /channels/lo4/stats | xr_json rx_packets recorded_packets |
	paste -sd' ')
read -r rx6 rec6 bytes6 < <(xr_curl GET /channels/lo6/stats |
	xr_json rx_packets recorded_packets rx_bytes | paste -sd' ')
xr_stop "$XR_DP_PID" || xr_fail "the dataplane did not exit 0 on SIGTERM"

verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/lo4" --count $N --seed $SEED --src 127.0.0.1 \
	--sport 41000 --dst 127.0.0.1 --dport 5400 --t0 $((t0 - 10000000)) \
	--t1 $((t1 + 10000000)) --queues 1 2>&1)
rc_verify=$?
verify6=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/lo6" --count $N6 --seed $SEED --src ::1 \
	--sport 41006 --dst ::1 --dport 5406 --t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) \
	--queues 1 2>&1)
rc_verify6=$?
xr_check '[ $rc_verify = 0 ]' "lo4: the Avro files hold exactly datagrams 0..$((N - 1)), seq from 0 consecutive, addresses, ports, times right" "$(tail -n 1 <<<"$verify")"
xr_check '[ $rc_verify6 = 0 ]' "lo6 (IPv6): the Avro files hold exactly datagrams 0..$((N6 - 1))" "$(tail -n 1 <<<"$verify6")"
xr_check '[ $rc_sub = 0 ]' "the unicast subscriber got all $N re-sent datagrams intact" "$(cat "$XR_TMP/sub.out")"
xr_check '[ "$rx" = $N ] && [ "$rec" = $N ] && [ "$rx6" = $N6 ] && [ "$rec6" = $N6 ]' \
	"/stats rx_packets = recorded_packets = $N and $N6" "$rx $rec $rx6 $rec6"
xr_check '[ "$bytes6" -gt $((N6 * 62)) ]' "/stats rx_bytes counts headers and payload" "$bytes6"

# The fallback: PROVIDE_BUFFERS, forced; the channel numbers on where it stopped.
xr_dataplane "${CPUS[@]}" --sock-buffers provide
bufs=$(xr_get /stats dataplane.socket_buffers)
xr_check '[ "$bufs" = provide ]' "/stats: buffers through IORING_OP_PROVIDE_BUFFERS when asked" "$bufs"
sleep 0.2
gen=$(taskset -c 0 "$UDPGEN" --dst 127.0.0.1 --port 5400 --src-port 41000 --first $N \
	--count $N2 --rate "$RATE" --seed $SEED) || xr_fail "udpgen failed: $gen"
xr_wait_stats lo4 recorded_packets $((N + N2)) 5
xr_books lo4
xr_stop "$XR_DP_PID" || xr_fail "the second dataplane did not exit 0 on SIGTERM"
verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/lo4" --count $((N + N2)) --seed $SEED \
	--src 127.0.0.1 --sport 41000 --dst 127.0.0.1 --dport 5400 --queues 1 2>&1)
rc_verify=$?
xr_check '[ $rc_verify = 0 ]' "lo4 after the restart with provided buffers: datagrams 0..$((N + N2 - 1)), seq consecutive across both dataplanes" "$(tail -n 1 <<<"$verify")"
xr_soft_verdict
xr_pass "socket mode on lo: $N + $N2 IPv4 and $N6 IPv6 datagrams recorded whole, re-sent, books balanced"
