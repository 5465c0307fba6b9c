#!/bin/bash
# SPDX-License-Identifier: MIT
# The socket backend counts what the kernel drops on a full channel socket (SO_RXQ_OVFL, and
# SO_MEMINFO for the drops after the last datagram) as socket_overflow. The dataplane, with a
# small receive buffer (--rcvbuf-kb 64), is stopped (SIGSTOP) while 3,000 datagrams of 1000
# bytes arrive, then continued: /stats must show rx_packets = 3,000 = recorded +
# socket_overflow, both above 0, and the books balance; the files (python3-avro) must hold
# exactly recorded_packets intact datagrams, in send order, seq consecutive from 0 (numbers
# are given at receipt, so the kernel's drops leave no gap).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 60 "$@"
xr_need_tools
xr_need_dataplane
xr_veth
XR_MODE=socket
N=3000
SEED=$((RANDOM * 32768 + RANDOM))

xr_api
xr_dataplane --rcvbuf-kb 64
xr_channel_create '{"name": "ovf", "port": 5600, "addr": "'$XR_H4'"}'
sleep 0.3
kill -STOP "$XR_DP_PID"
gen=$(xr_peer "$UDPGEN" --dst $XR_H4 --port 5600 --src-port 43000 --count $N --min-len 1000 \
	--max-len 1000 --seed $SEED --bind-if "$XR_P") || {
	kill -CONT "$XR_DP_PID"
	xr_fail "udpgen failed: $gen"
}
sleep 0.2
kill -CONT "$XR_DP_PID"
xr_books ovf "" 10
read -r rx rec ovf < <(xr_curl GET /channels/ovf/stats | xr_json rx_packets recorded_packets \
	drops.socket_overflow | paste -sd' ')
xr_log "rx $rx, recorded $rec, socket_overflow $ovf"
xr_stop "$XR_DP_PID" || xr_fail "the dataplane did not exit 0 on SIGTERM"
verify=$("$XR_PY" "$VERIFY" --dir "$XR_OUT/ovf" --count any --lossy --records "$rec" \
	--seed $SEED --src $XR_P4 --sport 43000 --dst $XR_H4 --dport 5600 --min-len 1000 \
	--max-len 1000 --queues 1 2>&1)
rc_verify=$?
xr_check '[ "$rx" = $N ]' "/stats rx_packets = $N: the kernel's drops are counted as received" "$rx $rec $ovf"
xr_check '[ "$ovf" -gt 0 ] && [ "$rec" -gt 0 ] && [ $((rec + ovf)) = $N ]' \
	"recorded $rec + socket_overflow $ovf = $N, both above 0"
xr_check '[ $rc_verify = 0 ]' "the files hold exactly the $rec recorded datagrams, intact, in order, seq consecutive" "$(tail -n 1 <<<"$verify")"
xr_soft_verdict
xr_pass "a full socket's drops counted as socket_overflow, books balanced"
