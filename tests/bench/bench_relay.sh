#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The relay benchmark (issue 5): xrelay against the ceilings of this machine and against the
# baseline relay, on one veth link, in one run. This script builds the stage; relay.py (beside
# it) runs the systems, finds each one's zero-loss rate by bisection and prints the table.
#
# The stage, in private mount, net and pid namespaces (tests/net/lib.sh):
#   the link              $XR_H (192.0.2.1, the system under test) <-> $XR_P in netns $XR_NS,
#                         where livegen sends from, pinned to CPU 0, and where benchrx sub (an
#                         XDP counter with a latency histogram) takes the copies the relays
#                         re-send to a multicast group out of $XR_H;
#   a spare link          $XR_SH -> $XR_SP in the same netns, only to hold livegen's XDP program
#                         (livegen --attach-dev), as $XR_P holds benchrx sub's;
#   xrelay-api on 127.0.0.1:8080 with private pins; output on a tmpfs (the relay is measured,
#   not this VM's disk: BENCH_DISK=1 writes to /tmp instead), except for the disk systems
#   (the cost of --fsync close), whose output is a folder of $XR_TMP when that is on a disk.
# The systems under test run on CPU 1.
#
# Environment: BUILD (default build), QUICK=1 (a smoke run: 1 s probes, 64-byte payloads,
# fewer bisection steps, under 2 minutes), BENCH_SYSTEMS (comma-separated subset), BENCH_SIZES
# (default 64,1000), BENCH_DOC=FILE (write the results section of that markdown file),
# BENCH_PERF=1 (perf profiles of xrelay at full load, into $BUILD/bench/). Results also go to
# $BUILD/bench/relay.json and relay.md. Exit 0, 1 on a failure of the harness (not of a
# figure), 77 when it cannot run here.
# shellcheck disable=SC2034 # XR_NAME is read by lib.sh
XR_NAME=bench-relay
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
if [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then LIMIT=240; else LIMIT=3000; fi
xr_begin "$LIMIT" "$@"
xr_need_dataplane
for b in livegen ${BENCH_NEED_RX:-benchrx} baseline-relay; do
	[ -x "$BUILD/bench/$b" ] || xr_skip "$BUILD/bench/$b is not built (make bench builds it)"
done
[ "$(nproc)" -ge 2 ] || xr_skip "needs 2 CPUs (the generator on CPU 0, the system on CPU 1)"
xr_veth

# The spare link: livegen keeps its program attached to an interface, which spares the kernel a
# re-patch of its XDP dispatcher per test run; $XR_P has benchrx sub's program, so this one.
XR_SH=xrs${XR_NS#xrn}
XR_SP=xrq${XR_NS#xrn}
ip link add "$XR_SH" type veth peer name "$XR_SP" || xr_fail "cannot make the subscriber's veth"
ip link set "$XR_SP" netns "$XR_NS" || xr_fail "cannot move $XR_SP to $XR_NS"
ip addr add 198.51.100.1/24 dev "$XR_SH"
ip -n "$XR_NS" addr add 198.51.100.2/24 dev "$XR_SP"
ip link set "$XR_SH" up
ip -n "$XR_NS" link set "$XR_SP" up
xr_peer ethtool -K "$XR_SP" gro on >/dev/null 2>&1

if [ "${BENCH_DISK:-0}" != 1 ]; then
	mount -t tmpfs -o size=16g,mode=0755 tmpfs "$XR_OUT" || xr_fail "cannot mount a tmpfs"
fi
xr_api

# The disk systems' folder: on the file system of $XR_TMP, if that is a disk's (not a tmpfs).
BENCH_DISK_OUT=
if [ "$(stat -f -c %T "$XR_TMP")" != tmpfs ]; then
	BENCH_DISK_OUT=$XR_TMP/disk
	mkdir -p "$BENCH_DISK_OUT"
	xr_log "disk systems write to $BENCH_DISK_OUT ($(df --output=source,fstype "$XR_TMP" | tail -n 1))"
fi
export BENCH_DISK_OUT
export BENCH_NS=$XR_NS BENCH_H=$XR_H BENCH_P=$XR_P BENCH_SP=$XR_SP
export BENCH_HMAC=$XR_HMAC BENCH_H4=$XR_H4 BENCH_P4=$XR_P4 BENCH_OUT=$XR_OUT
export BENCH_PIN=$XR_PIN BENCH_API=$XR_API BENCH_BUILD=$BUILD BENCH_TMP=$XR_TMP
export QUICK=${QUICK:-0}
# In the background, so that the watchdog's TERM reaches the trap while it runs.
"$XR_PY" "$XR_REPO/tests/bench/relay.py" &
DRIVER=$!
XR_PIDS+=("$DRIVER")
wait "$DRIVER"
rc=$?
mountpoint -q "$XR_OUT" && umount "$XR_OUT"
[ $rc = 0 ] || xr_fail "relay.py exited $rc"
xr_pass "results in $BUILD/bench/relay.md"
