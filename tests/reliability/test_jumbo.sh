#!/bin/bash
# SPDX-License-Identifier: MIT
# Jumbo frames (issue 10, case 1, and the reliability suite's jumbo scenario): MTU 9000 on both
# ends of the veth, XDP in native mode and then in generic mode. In each mode an IPv4 and an
# IPv6 channel get JUMBO_N datagrams of random length 0..8972 (IPv4) and 0..8952 (IPv6), the
# most that fits the MTU unfragmented: most of them span two or three 4096-byte UMEM frames
# (an AF_XDP descriptor carries at most 3840 bytes of a packet). Checks, per channel:
#  - the Avro files hold every datagram byte for byte, seq consecutive (read by python3-avro);
#  - the re-sent copies reach a subscriber in the peer namespace, every one intact (IPv4 to a
#    group out of the capture interface: single-frame datagrams through the AF_XDP tx ring,
#    the others through the socket; IPv6 to a unicast address through the socket);
#  - the books balance in /stats: rx_packets = recorded_packets + dropped_packets, and here
#    rx = recorded = sent = JUMBO_N with nothing dropped;
# and per mode that the AF_XDP socket got each packet as ceil(frame bytes / 3840) descriptors
# (/stats sockets.0.rx_frames; multi-buffer) and dropped none (rx_dropped 0).
# JUMBO_N (default 3000) datagrams a channel, at JUMBO_RATE a second (default 5000 each);
# JUMBO_MODES (default "native generic") the XDP modes to run.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
xr_begin 240 "$@"
xr_need_tools
xr_need_dataplane
xr_veth

N=${JUMBO_N:-3000}
RATE=${JUMBO_RATE:-$(xr_rate 5000)}
MTU=9000
MAX4=$((MTU - 28))
MAX6=$((MTU - 48))
G4=239.30.0.1
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)

ip link set "$XR_H" mtu $MTU || xr_fail "cannot set MTU $MTU on $XR_H"
xr_peer ip link set "$XR_P" mtu $MTU || xr_fail "cannot set MTU $MTU on $XR_P"
xr_api

# descs SEED MAX HDR: the rx descriptors datagrams 0..N-1 of the pattern take, HDR header bytes
# before their payloads, 3840 bytes of a packet in each (a 4096-byte frame less 256 headroom).
descs() {
	"$XR_PY" -c '
import sys
sys.path.insert(0, sys.argv[1])
import verify_avro
n, seed, mx, hdr = (int(a) for a in sys.argv[2:])
p = verify_avro.Pattern(seed, 0, mx)
print(sum(-(-(p.length(i) + hdr) // 3840) for i in range(n)))
' "$XR_NET" "$N" "$1" "$2" "$3"
}

# run MODE PORT_BASE: one mode's traffic, files and books.
run() {
	local mode=$1 base=$2 c4=jumbo4-$1 c6=jumbo6-$1 s4=$((RANDOM * 2 + 1)) s6=$((RANDOM * 2))
	local t0 t1 ch stats rx rec sent drop v rc spec seed src dst dport max

	xr_dataplane --xdp-mode "$mode" "${CPUS[@]}"
	xr_log "$mode: dataplane up in $(xr_get /stats dataplane.mode) mode; $(grep -ho 'multi-buffer[^;]*' "$XR_TMP"/dp*.log | tail -n 1)"
	xr_channel_create '{"name": "'$c4'", "port": '$base', "addr": "'$XR_H4'", "destinations": [
		{"addr": "'$G4'", "port": '$((base + 100))', "ttl": 1, "interface": "'"$XR_H"'"}]}'
	xr_channel_create '{"name": "'$c6'", "port": '$((base + 1))', "addr": "'$XR_H6'",
		"destinations": [{"addr": "'$XR_P6'", "port": '$((base + 101))'}]}'
	xr_sub "sub4$mode" --group $G4 --port $((base + 100)) --if "$XR_P" --expect "$N" --seed $s4 \
		--max-len $MAX4 --timeout 60 --idle 5
	xr_sub "sub6$mode" --bind $XR_P6 --port $((base + 101)) --expect "$N" --seed $s6 \
		--max-len $MAX6 --timeout 60 --idle 5

	t0=$(xr_now_ns)
	xr_bg "gen4$mode" nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst $XR_H4 \
		--port "$base" --src-port 40000 --count "$N" --rate "$RATE" --seed $s4 --max-len $MAX4 \
		--bind-if "$XR_P"
	xr_bg "gen6$mode" nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst $XR_H6 \
		--port $((base + 1)) --src-port 40001 --count "$N" --rate "$RATE" --seed $s6 \
		--max-len $MAX6 --bind-if "$XR_P"
	for g in gen4 gen6; do
		xr_wait "$g$mode" || xr_fail "udpgen $g$mode failed: $(cat "$XR_TMP/$g$mode.err")"
	done
	t1=$(xr_now_ns)
	for s in sub4 sub6; do
		xr_wait "$s$mode"
		eval "rc_$s=$?"
	done

	for ch in $c4 $c6; do
		xr_wait_stats "$ch" recorded_packets "$N" 5
		stats=$(xr_curl GET "/channels/$ch/stats")
		read -r rx rec sent drop < <(xr_json rx_packets recorded_packets sent_packets \
			dropped_packets <<<"$stats" | paste -sd' ')
		xr_check '[ "$rx" = $((rec + drop)) ]' \
			"$mode: /stats $ch: the books balance, rx_packets $rx = recorded $rec + dropped $drop" \
			"$stats"
		xr_check '[ "$rx" = "$N" ] && [ "$rec" = "$N" ] && [ "$sent" = "$N" ] && [ "$drop" = 0 ]' \
			"$mode: /stats $ch: rx = recorded = sent = $N, dropped 0" "$stats"
	done
	read -r frames xdrop < <(xr_curl GET /stats | xr_json sockets.0.rx_frames sockets.0.rx_dropped |
		paste -sd' ')
	want=$(($(descs $s4 $MAX4 42) + $(descs $s6 $MAX6 62)))
	xr_check '[ "$frames" = "$want" ] && [ "$xdrop" = 0 ]' \
		"$mode: the AF_XDP socket took $((2 * N)) packets as $want descriptors, dropped none" \
		"rx_frames $frames, rx_dropped $xdrop"
	xr_check '[ $rc_sub4 = 0 ]' "$mode: $c4 re-sent to $G4: all $N received intact" \
		"$(cat "$XR_TMP/sub4$mode.out")"
	xr_check '[ $rc_sub6 = 0 ]' "$mode: $c6 re-sent to [$XR_P6]: all $N received intact" \
		"$(cat "$XR_TMP/sub6$mode.out")"

	xr_stop "$XR_DP_PID" || xr_fail "$mode: xrelay-dataplane exited $? on SIGTERM"
	for spec in "$c4 $s4 $XR_P4 40000 $XR_H4 $base $MAX4" \
		"$c6 $s6 $XR_P6 40001 $XR_H6 $((base + 1)) $MAX6"; do
		read -r ch seed src sport dst dport max <<<"$spec"
		v=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/$ch" --count "$N" --seed "$seed" --src "$src" \
			--sport "$sport" --dst "$dst" --dport "$dport" --max-len "$max" \
			--t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) --queues 1 2>&1)
		rc=$?
		xr_check '[ $rc = 0 ]' \
			"$mode: $ch's Avro files hold datagrams 0..$((N - 1)) (0-$max bytes) byte for byte" \
			"$(tail -n 1 <<<"$v")"
	done
}

port=5000
for mode in ${JUMBO_MODES:-native generic}; do
	run "$mode" $port
	port=$((port + 10))
done
xr_pass "MTU $MTU, native and generic XDP, IPv4 and IPv6: $N datagrams of up to $MAX4/$MAX6 bytes a channel, each recorded and re-sent intact; the books balance"
