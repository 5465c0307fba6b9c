#!/bin/bash
# SPDX-License-Identifier: MIT
# IPv6 and multicast channels: an IPv6 channel re-sent to an IPv6 multicast group; an IPv4
# channel on a multicast group address and an IPv6 one on an IPv6 group, each re-sent to a
# unicast destination. The dataplane must join the channels' groups on the capture interface
# (on a real NIC the group's frames are filtered out otherwise; a veth delivers them anyway, so
# the membership itself is checked). Every datagram must be in the files, re-sent and received.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane
xr_veth

N=20000
RATE=$(xr_rate 20000)
G6=ff15::db8:10		# destination group of channel v6
CG4=239.20.0.1		# channel g4's own address
CG6=ff15::db8:20	# channel g6's own address
xr_api
xr_dataplane --xdp-mode native
xr_channel_create '{"name": "v6", "port": 5600, "addr": "'$XR_H6'", "destinations": [
	{"addr": "'$G6'", "port": 6600, "ttl": 1, "interface": "'"$XR_H"'"}]}'
xr_channel_create '{"name": "g4", "port": 5700, "addr": "'$CG4'", "destinations": [
	{"addr": "'$XR_P4'", "port": 6700}]}'
xr_channel_create '{"name": "g6", "port": 5800, "addr": "'$CG6'", "destinations": [
	{"addr": "'$XR_P6'", "port": 6800}]}'

# The groups joined on the capture interface (the kernel lists memberships per interface).
joined() { grep -Eq "inet6?[[:space:]]+$1([[:space:]]|\$)" <<<"$maddr"; }
for i in $(seq 20); do
	maddr=$(ip maddr show dev "$XR_H")
	joined "$CG4" && joined "$CG6" && break
	sleep 0.1
done
xr_check 'joined $CG4' "the dataplane joined $CG4 on $XR_H" "$(echo "$maddr" | tr -s ' \n' ' ')"
xr_check 'joined $CG6' "the dataplane joined $CG6 on $XR_H" "$(echo "$maddr" | tr -s ' \n' ' ')"

xr_sub s6 --group $G6 --port 6600 --if "$XR_P" --expect $N --seed 61 --timeout 40
xr_sub s4 --bind $XR_P4 --port 6700 --expect $N --seed 62 --timeout 40
xr_sub sg6 --bind $XR_P6 --port 6800 --expect $N --seed 63 --timeout 40

t0=$(xr_now_ns)
xr_bg g1 nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst $XR_H6 --port 5600 --src-port 41000 \
	--count $N --rate $RATE --seed 61
xr_bg g2 nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst $CG4 --port 5700 --src-port 42000 \
	--count $N --rate $RATE --seed 62 --bind-if "$XR_P"
xr_bg g3 nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst $CG6 --port 5800 --src-port 43000 \
	--count $N --rate $RATE --seed 63 --bind-if "$XR_P"
for g in g1 g2 g3; do
	xr_wait $g || xr_fail "udpgen $g failed: $(cat "$XR_TMP/$g.out" "$XR_TMP/$g.err")"
done
t1=$(xr_now_ns)
for s in s6 s4 sg6; do
	xr_wait $s
	eval "rc_$s=$?"
done

for ch in v6 g4 g6; do
	xr_wait_stats $ch recorded_packets $N 5
done
stats=$(xr_curl GET /stats)
for ch in v6 g4 g6; do
	read -r rx rec sent drop < <(xr_json channels.$ch.rx_packets channels.$ch.recorded_packets \
		channels.$ch.sent_packets channels.$ch.dropped_packets <<<"$stats" | paste -sd' ')
	xr_check '[ "$rx" = $N ] && [ "$rec" = $N ] && [ "$sent" = $N ] && [ "$drop" = 0 ]' \
		"/stats $ch: rx = recorded = sent = $N, dropped 0" "rx $rx recorded $rec sent $sent dropped $drop"
done
xr_check '[ $rc_s6 = 0 ]' "channel v6 re-sent to [$G6]:6600: all $N received intact" "$(cat "$XR_TMP/s6.out")"
xr_check '[ $rc_s4 = 0 ]' "channel g4 ($CG4) re-sent to $XR_P4:6700: all $N received" "$(cat "$XR_TMP/s4.out")"
xr_check '[ $rc_sg6 = 0 ]' "channel g6 ($CG6) re-sent to [$XR_P6]:6800: all $N received" "$(cat "$XR_TMP/sg6.out")"

# Removing a group channel leaves its group.
xr_curl DELETE /channels/g4 >/dev/null
xr_check '[ "$(xr_status)" = 204 ]' "DELETE /channels/g4 answered 204" "$(xr_status)"
for i in $(seq 20); do
	maddr=$(ip maddr show dev "$XR_H")
	joined "$CG4" || break
	sleep 0.1
done
xr_check '! joined $CG4 && joined $CG6' "after DELETE of g4 the dataplane left $CG4 (within 2 s), kept $CG6" "$(echo "$maddr" | tr -s ' \n' ' ')"

xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane exited $? on SIGTERM"
win=(--t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) --queues 1)
for spec in "v6 61 $XR_P6 41000 $XR_H6 5600" "g4 62 $XR_P4 42000 $CG4 5700" \
	"g6 63 $XR_P6 43000 $CG6 5800"; do
	read -r ch seed src sport dst dport <<<"$spec"
	v=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/$ch" --count $N --seed "$seed" --src "$src" \
		--sport "$sport" --dst "$dst" --dport "$dport" "${win[@]}" 2>&1)
	rc=$?
	xr_check '[ $rc = 0 ]' "channel $ch's files: exactly its $N datagrams, from $src to $dst:$dport" "$(tail -n 1 <<<"$v")"
done

xr_pass "IPv6 channel -> IPv6 group, IPv4 and IPv6 group channels (joined on $XR_H) -> unicast: $N each recorded, re-sent and received"
