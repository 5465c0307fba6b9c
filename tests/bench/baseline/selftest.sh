#!/bin/bash
# SPDX-License-Identifier: MIT
# Self-test of the baseline relay (tests/bench/baseline): on a veth pair into a namespace of its
# own, 50,000 datagrams of random length 0-1472 from the peer side to baseline-relay on the host
# side, which records them and re-sends them to a multicast group that udpsub receives in the
# peer namespace. The Avro file must hold exactly those 50,000 records (verify_avro.py), the
# subscriber must get all 50,000 intact, and the relay's JSON line must agree, with no drop.
#
# Environment: BUILD (default build) holds bench/baseline-relay (make BUILD=... $BUILD/bench/
# baseline-relay) and net/udpgen, net/udpsub (make all); BASE_N (default 50000) datagrams at
# BASE_RATE a second (default 25,000: modest, the point is exactness; tests/bench measures
# speed). Exit 0 pass, 1 fail, 77 skipped (not root, a tool or a build missing).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
XR_NAME=baseline-selftest
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../../net/lib.sh"
xr_begin 60 "$@"
xr_need_tools
BASE_BIN=$BUILD/bench/baseline-relay
[ -x "$BASE_BIN" ] || xr_skip "$BASE_BIN is not built (make BUILD=... $BASE_BIN)"
xr_veth

N=${BASE_N:-50000}
RATE=${BASE_RATE:-$(xr_rate 25000)}
SEED=$((RANDOM * 32768 + RANDOM))
PORT=5000
GROUP=239.10.0.7
GPORT=6000
CHANNEL=base
GEN_CPU=()
BASE_CPU=()
if [ "$(nproc)" -ge 2 ]; then
	GEN_CPU=(taskset -c 0)
	BASE_CPU=(--cpu 1)
fi

xr_sub sub --group $GROUP --port $GPORT --if "$XR_P" --expect "$N" --seed $SEED \
	--timeout 45 --idle 5

# The relay; its stderr is dp.log, which the library prints the tail of on a failure.
"$BASE_BIN" --bind "$XR_H4" --port "$PORT" --out "$XR_OUT" --channel "$CHANNEL" \
	--dest $GROUP:$GPORT --dest-if "$XR_H" --ttl 1 "${BASE_CPU[@]}" \
	>"$XR_TMP/base.json" 2>"$XR_TMP/dp.log" &
BASE_PID=$!
XR_PIDS+=("$BASE_PID")
# Ready once its file exists: the socket is bound before the file is created.
for i in $(seq 100); do
	compgen -G "$XR_OUT/$CHANNEL/*.avro.part" >/dev/null && break
	xr_alive "$BASE_PID" || xr_fail "baseline-relay exited at start: $(cat "$XR_TMP/dp.log")"
	sleep 0.05
done
compgen -G "$XR_OUT/$CHANNEL/*.avro.part" >/dev/null || xr_fail "baseline-relay: no file after 5 s"

t0=$(xr_now_ns)
gen=$(xr_peer "${GEN_CPU[@]}" "$UDPGEN" --dst $XR_H4 --port $PORT --src-port 40000 \
	--count "$N" --rate "$RATE" --seed $SEED --bind-if "$XR_P") || xr_fail "udpgen failed: $gen"
t1=$(xr_now_ns)
xr_log "sent $(xr_json sent rate <<<"$gen" | paste -sd' ' | sed 's/ / datagrams at /') /s"

xr_wait sub
rc_sub=$?
sub=$(cat "$XR_TMP/sub.out")

# SIGTERM: the relay writes its last block, renames the file and prints its JSON line.
xr_stop "$BASE_PID"
rc_base=$?
stats=$(cat "$XR_TMP/base.json")
xr_log "baseline-relay: $stats"
read -r rx rec sent serr werr drops < <(xr_json received recorded sent send_errors \
	write_errors rcvbuf_drops <<<"$stats" | paste -sd' ')

verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/$CHANNEL" --count "$N" --seed $SEED --src $XR_P4 \
	--sport 40000 --dst $XR_H4 --dport $PORT --t0 $((t0 - 10000000)) --t1 $((t1 + 10000000)) \
	--queues 1 2>&1)
rc_verify=$?

xr_check '[ $rc_base = 0 ]' "baseline-relay exited 0 on SIGTERM" "status $rc_base"
xr_check '[ $rc_verify = 0 ]' "the Avro file holds exactly datagrams 0..$((N - 1)), in order, seq consecutive, addresses, ports and times right" "$(tail -n 1 <<<"$verify")"
xr_log "    $(xr_json files records shards.0.first_seq shards.0.last_seq <<<"$verify" |
	paste -sd' ' | awk '{printf "%s file(s), %s records, seq %s..%s", $1, $2, $3, $4}')"
xr_check '[ "$rx" = "$N" ] && [ "$rec" = "$N" ] && [ "$sent" = "$N" ]' \
	"JSON received = recorded = sent = $N" "$stats"
xr_check '[ "$serr" = 0 ] && [ "$werr" = 0 ] && [ "$drops" = 0 ]' \
	"JSON send_errors, write_errors, rcvbuf_drops 0" "$stats"
xr_check '[ $rc_sub = 0 ]' "subscriber of $GROUP got all $N intact, once each" "$sub"

xr_pass "$N datagrams at $RATE/s: $N records exact in the Avro file, $N re-sent to $GROUP and received intact, no drop"
