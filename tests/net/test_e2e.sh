#!/bin/bash
# SPDX-License-Identifier: MIT
# End to end: 100,000 datagrams of random length 0-1472 from the peer namespace over the veth
# to a channel with a multicast destination and an every-10 multicast destination, both out of
# the capture interface, so through the AF_XDP tx ring. The Avro
# files must hold exactly those 100,000 records, the subscribers in the peer namespace must
# get all 100,000 and exactly the 10,000 with index % 10 == 0, and GET /stats must agree to the
# packet.
#
# Rate: E2E_RATE (default 25,000/s, 4 s of traffic). Every datagram crosses the veth two or
# three times (in, re-sent, and the decimated copy); the generator, the dataplane, veth receive
# processing (on the sender's core) and two subscribers share 2 vCPUs. Measured here: this test
# passes at 50,000 and 100,000/s; at 200,000/s the dataplane drops ~2.5% (counted, as it
# should). 25,000/s keeps 4x headroom for a loaded CI machine; the point of this test is
# exactness, not speed (tests/bench measures speed).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 120 "$@"
xr_need_tools
xr_need_dataplane
xr_veth

N=${E2E_N:-100000}
RATE=${E2E_RATE:-$(xr_rate 25000)}
SEED=$((RANDOM * 32768 + RANDOM))
PORT=5000
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)

xr_api
xr_dataplane --xdp-mode native "${CPUS[@]}"
mode=$(xr_get /stats dataplane.mode)
xr_log "dataplane up in $mode mode on $XR_H"

xr_channel_create '{"name": "e2e", "port": '$PORT', "addr": "'$XR_H4'", "destinations": [
	{"addr": "239.10.0.1", "port": 6000, "ttl": 1, "interface": "'"$XR_H"'"},
	{"addr": "239.10.0.2", "port": 6001, "every": 10, "ttl": 1, "interface": "'"$XR_H"'"}]}'

xr_sub all --group 239.10.0.1 --port 6000 --if "$XR_P" --expect "$N" --seed $SEED \
	--timeout 60 --idle 5
xr_sub dec --group 239.10.0.2 --port 6001 --if "$XR_P" --expect $((N / 10)) --every 10 \
	--seed $SEED --timeout 60 --idle 5

t0=$(xr_now_ns)
gen=$(xr_peer taskset -c 0 "$UDPGEN" --dst $XR_H4 --port $PORT --src-port 40000 --count "$N" \
	--rate "$RATE" --seed $SEED --bind-if "$XR_P") || xr_fail "udpgen failed: $gen"
t1=$(xr_now_ns)
xr_log "sent $(xr_json sent rate <<<"$gen" | paste -sd' ' | sed 's/ / datagrams at /') /s"

xr_wait all
rc_all=$?
xr_wait dec
rc_dec=$?
sub_all=$(cat "$XR_TMP/all.out")
sub_dec=$(cat "$XR_TMP/dec.out")

# The counters settle within a flush interval or so; wait at most 5 s for the last records.
xr_wait_stats e2e recorded_packets "$N" 5
stats=$(xr_curl GET /channels/e2e/stats)
read -r rx rec sent dropped werr serr < <(xr_json rx_packets recorded_packets sent_packets \
	dropped_packets write_errors send_errors <<<"$stats" | paste -sd' ')
read -r sel0 sent0 sel1 sent1 < <(xr_json destinations.0.selected destinations.0.sent_packets \
	destinations.1.selected destinations.1.sent_packets <<<"$stats" | paste -sd' ')
xr_log "stats: rx $rx, recorded $rec, sent $sent, dropped $dropped"

# Stop the dataplane: it must close and rename every file and exit 0.
xr_stop "$XR_DP_PID"
rc_dp=$?
verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/e2e" --count "$N" --seed $SEED --src $XR_P4 \
	--sport 40000 --dst $XR_H4 --dport $PORT --t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) \
	--queues 1 2>&1)
rc_verify=$?

# Verdicts, most telling first.
xr_check '[ $rc_verify = 0 ]' "Avro files hold exactly datagrams 0..$((N - 1)), in order, seq consecutive, addresses, ports and times right" "$(tail -n 1 <<<"$verify")"
xr_log "    $(xr_json files records shards.0.first_seq shards.0.last_seq <<<"$verify" |
	paste -sd' ' | awk '{printf "%s file(s), %s records, seq %s..%s", $1, $2, $3, $4}')"
xr_check '[ "$rx" = "$N" ] && [ "$rec" = "$N" ]' "/stats rx_packets = recorded_packets = $N" "$stats"
xr_check '[ "$sent" = $((N + N / 10)) ]' "/stats sent_packets = $((N + N / 10))" "$stats"
xr_check '[ "$dropped" = 0 ] && [ "$werr" = 0 ] && [ "$serr" = 0 ]' "/stats dropped_packets, write_errors, send_errors 0" "$stats"
xr_check '[ "$sel0" = "$N" ] && [ "$sent0" = "$N" ] && [ "$sel1" = $((N / 10)) ] && [ "$sent1" = $((N / 10)) ]' "/stats per destination: $N selected and sent to the first, $((N / 10)) to the every-10 one" "$stats"
xr_check '[ $rc_all = 0 ]' "subscriber of 239.10.0.1 got all $N intact, once each" "$sub_all"
xr_check '[ $rc_dec = 0 ] && [ "$(xr_json indices_mod_every_ok <<<"$sub_dec")" = true ]' \
	"subscriber of the every-10 group 239.10.0.2 got the $((N / 10)) with index % 10 = 0" "$sub_dec"
xr_check '[ $rc_dp = 0 ]' "xrelay-dataplane exited 0 on SIGTERM" "status $rc_dp"
# Both groups are IPv4 and go out of the capture interface: the AF_XDP tx ring carries them
# (the second copy of each datagram in a frame of its own), not a socket; the socket backend
# has no tx ring and sends both through sockets.
if [ "$XR_MODE" = socket ]; then
	xr_check '[ "$mode" = socket ] && ! grep -q "tx ring" "$XR_TMP/dp.log"' \
		"socket mode: both destinations sent through sockets" "$mode: $(grep -i 'sending\|tx ring' "$XR_TMP/dp.log")"
else
	xr_check '[ "$(grep -c "through the AF_XDP tx ring of $XR_H" "$XR_TMP/dp.log")" = 2 ]' \
		"both destinations were sent through the AF_XDP tx ring" "$(grep -i 'sending\|tx ring' "$XR_TMP/dp.log")"
fi

xr_pass "$N datagrams: $N records exact in the Avro files, $N + $((N / 10)) (every 10) re-sent and received intact, /stats rx = recorded = $N, sent = $((N + N / 10)), dropped 0"
