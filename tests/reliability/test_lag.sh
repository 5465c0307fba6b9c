#!/bin/bash
# SPDX-License-Identifier: MIT
# A worker that lags behind a short-lived channel still records it. The dataplane is stopped
# (SIGSTOP, well inside the heartbeat's 3 s) right after a channel is created; 400 datagrams
# reach the channel (numbered by the XDP program, waiting on the worker's rx ring) and the
# channel is deleted; then the dataplane continues. Its worker never saw a frame of the channel
# while it existed, yet every datagram was received while it did: the files must hold all 400,
# intact and in order (before the fix they were dropped as no_writer, in the row of a deleted
# channel that nobody can read: lost without a visible trace). Runs in XDP mode.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
xr_begin 60 "$@"
xr_need_tools
xr_need_dataplane
xr_veth
N=400
SEED=$((RANDOM * 32768 + RANDOM))

xr_api
xr_dataplane --xdp-mode native
xr_channel_create '{"name": "lag", "port": 5650, "addr": "'$XR_H4'"}'
kill -STOP "$XR_DP_PID"
gen=$(xr_peer "$UDPGEN" --dst $XR_H4 --port 5650 --src-port 43100 --count $N --min-len 100 \
	--max-len 100 --seed $SEED --bind-if "$XR_P") || {
	kill -CONT "$XR_DP_PID"
	xr_fail "udpgen failed: $gen"
}
rx=$(xr_get /channels/lag/stats rx_packets)
out=$(xr_curl DELETE /channels/lag)
st=$(xr_status)
kill -CONT "$XR_DP_PID"
xr_check '[ "$rx" = $N ]' "the XDP program took all $N datagrams for the channel while the dataplane was stopped" "rx_packets $rx"
xr_check '[ "$st" = 204 ]' "DELETE while the dataplane was stopped answered 204" "$st $out"
# The channel's files close once its frames are taken; wait for them (at most 5 s).
for _ in $(seq 50); do
	ls "$XR_OUT"/lag/*.avro >/dev/null 2>&1 && ! ls "$XR_OUT"/lag/*.part >/dev/null 2>&1 && break
	sleep 0.1
done
xr_stop "$XR_DP_PID" || xr_fail "the dataplane did not exit 0 on SIGTERM"
verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/lag" --count $N --seed $SEED --src $XR_P4 \
	--sport 43100 --dst $XR_H4 --dport 5650 --min-len 100 --max-len 100 --queues 1 2>&1)
rc_verify=$?
xr_check '[ $rc_verify = 0 ]' "the deleted channel's files hold all $N datagrams, intact, in order, seq consecutive" "$(tail -n 1 <<<"$verify")"
xr_check 'grep -q "channel lag: queue 0: removed with $N frame(s) not yet taken: recording them" "$XR_TMP/dp.log"' \
	"the dataplane said it recorded the $N frames of the removed channel" "$(grep lag "$XR_TMP/dp.log")"
xr_pass "a channel deleted before its worker took its frames: all $N recorded"
