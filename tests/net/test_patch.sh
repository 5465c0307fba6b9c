#!/bin/bash
# SPDX-License-Identifier: MIT
# A channel's destinations change (PATCH) while traffic flows: the file loses nothing (all
# datagrams recorded, in order, seq consecutive) and every datagram is re-sent exactly once,
# to the old destination before the switch and to the new one after it.
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane
xr_veth

RATE=$(xr_rate 10000)
N=$((RATE * 4))
SEED=81
xr_api
xr_dataplane --xdp-mode native
xr_channel_create '{"name": "p", "port": 6300, "addr": "'$XR_H4'", "destinations": [
	{"addr": "239.30.0.1", "port": 7000, "interface": "'"$XR_H"'"}]}'
xr_sub a --group 239.30.0.1 --port 7000 --if "$XR_P" --seed $SEED --timeout 30 --idle 3
xr_sub b --group 239.30.0.2 --port 7001 --if "$XR_P" --seed $SEED --timeout 30 --idle 5

xr_bg g nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst $XR_H4 --port 6300 --src-port 48000 \
	--count $N --rate $RATE --seed $SEED
sleep 1.5
xr_curl PATCH /channels/p '{"destinations": [
	{"addr": "239.30.0.2", "port": 7001, "interface": "'"$XR_H"'"}]}' >/dev/null
xr_check '[ "$(xr_status)" = 200 ]' "PATCH /channels/p (while traffic flows) answered 200" "$(xr_status)"
xr_wait g || xr_fail "udpgen failed: $(cat "$XR_TMP/g.err")"
xr_wait a
xr_wait b
xr_wait_stats p recorded_packets "$N" 5
stats=$(xr_curl GET /channels/p/stats)
read -r rx rec sent dropped < <(xr_json rx_packets recorded_packets sent_packets dropped_packets \
	<<<"$stats" | paste -sd' ')
xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane exited $? on SIGTERM"

read -r ra amin amax < <(xr_json received min_index max_index <"$XR_TMP/a.out" | paste -sd' ')
read -r rb bmin bmax < <(xr_json received min_index max_index <"$XR_TMP/b.out" | paste -sd' ')
xr_check '[ "$rx" = "$N" ] && [ "$rec" = "$N" ] && [ "$sent" = "$N" ] && [ "$dropped" = 0 ]' \
	"/stats: rx = recorded = sent = $N, dropped 0" "$stats"
v=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/p" --count "$N" --seed $SEED --src $XR_P4 --sport 48000 \
	--dst $XR_H4 --dport 6300 --queues 1 2>&1)
rc=$?
xr_check '[ $rc = 0 ]' "the file holds all $N datagrams in order, seq consecutive" \
	"$(tail -n 1 <<<"$v")"
xr_check '[ $((ra + rb)) = "$N" ]' \
	"every datagram re-sent once: $ra to the old destination + $rb to the new = $N" \
	"a: $(cat "$XR_TMP/a.out") b: $(cat "$XR_TMP/b.out")"
xr_check '[ "$ra" -gt 0 ] && [ "$rb" -gt 0 ] && [ "$amin" = 0 ] && [ "$amax" -lt "$bmin" ] &&
	[ "$bmax" = $((N - 1)) ]' \
	"the switch is clean: old got $amin..$amax, new got $bmin..$bmax" \
	"a: $(cat "$XR_TMP/a.out") b: $(cat "$XR_TMP/b.out")"
xr_pass "PATCH mid-stream: all $N recorded; re-sent to the old destination up to $amax, to the new from $bmin"
