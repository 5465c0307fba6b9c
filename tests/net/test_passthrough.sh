#!/bin/bash
# SPDX-License-Identifier: MIT
# While the relay runs, everything that is not a channel's reaches the host's stack untouched:
# UDP to another port, UDP to the channel's port at another address of the host (the channel
# has an exact address), UDP over IPv6, TCP and ping (IPv4 and IPv6). The channel's own traffic,
# sent at the same time, is recorded exactly, and the XDP counters put each kind where it
# belongs.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane
xr_veth
NETCHECK=$XR_NET/netcheck.py

# A second host address, on the channel's port but not the channel's address.
XR_H4B=192.0.2.3
ip addr add $XR_H4B/24 dev "$XR_H"
ip -n "$XR_NS" neigh replace $XR_H4B lladdr $XR_HMAC dev "$XR_P" nud permanent

N=5000
RATE=$(xr_rate 20000)
xr_api
xr_dataplane --xdp-mode native
xr_channel_create '{"name": "pt", "port": 5000, "addr": "'$XR_H4'"}'

# Ordinary sockets on the host side.
xr_sub_here p4 --bind $XR_H4 --port 5001 --expect $N --seed 11 --timeout 30
xr_sub_here pa --bind $XR_H4B --port 5000 --expect $N --seed 12 --timeout 30
xr_sub_here p6 --bind $XR_H6 --port 5001 --expect $N --seed 13 --timeout 30
xr_bg tcp "$XR_PY" "$NETCHECK" tcp-serve --bind $XR_H4 --port 5002 --ready-file "$XR_TMP/tcp.ready"
xr_wait_file "$XR_TMP/tcp.ready" 5 || xr_fail "TCP server not ready: $(cat "$XR_TMP/tcp.err")"

# From the peer: the channel's traffic in the background, the rest alongside it.
t0=$(xr_now_ns)
xr_bg chan nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst $XR_H4 --port 5000 --src-port 40000 \
	--count $N --rate $RATE --seed 10
xr_peer "$UDPGEN" --dst $XR_H4 --port 5001 --count $N --rate $RATE --seed 11 >/dev/null ||
	xr_fail "udpgen to port 5001 failed"
xr_peer "$UDPGEN" --dst $XR_H4B --port 5000 --count $N --rate $RATE --seed 12 >/dev/null ||
	xr_fail "udpgen to $XR_H4B:5000 failed"
xr_peer "$UDPGEN" --dst $XR_H6 --port 5001 --count $N --rate $RATE --seed 13 >/dev/null ||
	xr_fail "udpgen to [$XR_H6]:5001 failed"
tcp=$(xr_peer "$XR_PY" "$NETCHECK" tcp-send --dst $XR_H4 --port 5002 --bytes 4000000)
rc_tcp=$?
ping4=$(xr_peer "$XR_PY" "$NETCHECK" ping $XR_H4 --count 5)
rc_ping4=$?
ping6=$(xr_peer "$XR_PY" "$NETCHECK" ping $XR_H6 --count 5)
rc_ping6=$?
xr_wait chan || xr_fail "udpgen to the channel failed"
t1=$(xr_now_ns)

for s in p4 pa p6; do
	xr_wait $s
	eval "rc_$s=$?"
done
xr_check '[ $rc_p4 = 0 ]' "UDP to $XR_H4:5001 (no channel): all $N datagrams reached a host socket intact" "$(cat "$XR_TMP/p4.out")"
xr_check '[ $rc_pa = 0 ]' "UDP to $XR_H4B:5000 (the channel's port, another address): all $N reached a host socket" "$(cat "$XR_TMP/pa.out")"
xr_check '[ $rc_p6 = 0 ]' "UDP to [$XR_H6]:5001: all $N reached a host socket" "$(cat "$XR_TMP/p6.out")"
xr_check '[ $rc_tcp = 0 ]' "TCP: 4 MB to $XR_H4:5002 arrived intact" "$tcp"
xr_check '[ $rc_ping4 = 0 ] && [ $rc_ping6 = 0 ]' "ping $XR_H4 and $XR_H6: 5 of 5 answered each" "$ping4 $ping6"

xr_wait_stats pt recorded_packets $N 5
stats=$(xr_curl GET /stats)
read -r rx rec nomatch notudp redir < <(xr_json channels.pt.rx_packets channels.pt.recorded_packets \
	xdp.pass_no_match xdp.pass_not_udp xdp.redirected <<<"$stats" | paste -sd' ')
xr_check '[ "$rx" = $N ] && [ "$rec" = $N ] && [ "$redir" = $N ]' \
	"/stats: the channel rx = recorded = xdp.redirected = $N (only its own traffic)" "$stats"
xr_check '[ "$nomatch" -ge $((3 * N)) ]' "/stats xdp.pass_no_match >= $((3 * N)) (the other UDP)" "$nomatch"
xr_check '[ "$notudp" -ge 10 ]' "/stats xdp.pass_not_udp counts TCP and ICMP ($notudp)" "$stats"

xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane exited $? on SIGTERM"
verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/pt" --count $N --seed 10 --src $XR_P4 --sport 40000 \
	--dst $XR_H4 --dport 5000 --t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) --queues 1 2>&1)
rc_verify=$?
xr_check '[ $rc_verify = 0 ]' "the channel's Avro files hold exactly its $N datagrams" "$(tail -n 1 <<<"$verify")"

xr_pass "UDP to other ports/addresses (v4, v6), TCP and ping pass through untouched while the channel records all $N of its own"
