#!/bin/bash
# SPDX-License-Identifier: MIT
# The interface a dataplane serves, as /stats shows it, after a dataplane on a longer-named
# interface ran on the same pins before: the name whole, nothing of the old one showing
# through (issue 10, case 13: "eth1" after "enp5s0f0" showed as "eth1s0f0").
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 60 "$@"
xr_need_dataplane
xr_veth
xr_api
xr_dataplane --xdp-mode native
got=$(xr_get /stats dataplane.interface)
[ "$got" = "$XR_H" ] || xr_fail "/stats names the interface '$got', not '$XR_H'"
xr_stop "$XR_DP_PID"
# lo: generic XDP only, and a shorter name than the veth's.
"$XR_DP_BIN" --iface lo --out "$XR_OUT" --pin-dir "$XR_PIN" >"$XR_TMP/dp2.log" 2>&1 &
XR_DP_PID=$!
XR_PIDS+=("$XR_DP_PID")
for i in $(seq 100); do
	[ "$(xr_get /healthz dataplane.running)" = true ] && break
	xr_alive "$XR_DP_PID" || xr_fail "xrelay-dataplane on lo exited at start"
	sleep 0.1
done
got=$(xr_get /stats dataplane.interface)
[ "$got" = lo ] || xr_fail "/stats names the interface '$got' after a restart on lo, not 'lo'"
xr_pass "/stats names the interface whole: $XR_H, then lo"
