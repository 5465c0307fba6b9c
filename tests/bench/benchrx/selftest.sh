#!/bin/bash
# SPDX-License-Identifier: MIT
#
# benchrx's self-test: proves each receiver counts what livegen sent. In the private namespaces
# and veth pair of tests/net/lib.sh: the receiving end (192.0.2.1, 2001:db8::1) where benchrx
# runs (native XDP, pinned to CPU 1), the sending end in the named netns where livegen runs on
# CPU 0 through nsenter. Then:
#   (a) each mode (drop, xsk, sub) against livegen --rate 100000 --seconds 1 over IPv4 (sub with
#       --stamp frame): packets == livegen's "sent" (drop: bytes == sent * frame_bytes; xsk:
#       redirected == sent too, nothing dropped by the socket); sub: breaks 0, first/last seq as
#       livegen's, no stamp in the future, 0 < p50 < 1 s and min <= p50 <= p99 <= p999 <= max;
#   (b) each mode again with 1000 IPv6 datagrams (a 101-byte payload), the same checks (sub with
#       --sample 10: 100 samples);
#   (c) informational: --flat-out --seconds 2 --size 64 against drop and xsk, rates printed;
#   (d) the errors: lo has no native XDP (exit 1, names lo), a bad mode (exit 2).
# Removes everything it made (trap), kills only what it started, ends within 90 s.
# Exit 0 pass, 1 fail, 77 skip (the reason printed). BUILD (default build) holds the build;
# BR_FLAT=0 skips (c).
# shellcheck disable=SC2034 # XR_NAME is read by lib.sh
XR_NAME=benchrx-selftest
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../../net/lib.sh"
LIVEGEN=$BUILD/bench/livegen
BENCHRX=$BUILD/bench/benchrx
PY=$XR_PY
RATE=100000
PORT=47100

[ -x "$LIVEGEN" ] && [ -x "$BENCHRX" ] ||
	xr_skip "not built: make BUILD=${BUILD#"$XR_REPO"/} $LIVEGEN $BENCHRX"
[ "$(nproc)" -ge 2 ] || xr_skip "needs 2 CPUs (the generator on CPU 0, benchrx on CPU 1)"
xr_begin 85 "$@"
xr_veth
NS=$XR_NS RX=$XR_H TX=$XR_P TMP=$XR_TMP
RX4=$XR_H4 TX4=$XR_P4 RX6=$XR_H6 TX6=$XR_P6 RXMAC=$XR_HMAC

say() { xr_log "$*"; }
fail() { xr_fail "$*"; }
# A failed check that lets the test go on; the verdict comes at the end.
soft() {
	xr_log "  check failed: $*"
	XR_SOFT_FAILS+=("$*")
}
in_ns() { xr_peer "$@"; }

# The sender's veth: frames it failed to hand to the receiving end (ring full).
xmit_errors() {
	in_ns ethtool -S "$TX" 2>/dev/null | awk '/xdp_xmit_errors/ { s += $2 } END { print s + 0 }'
}

# rx_start MODE [ARGS...]: benchrx MODE on the receiving end, CPU 1, until it says it is ready.
rx_start() {
	rm -f "$TMP/ready"
	"$BENCHRX" "$1" --dev "$RX" --port $PORT --cpu 1 --ready-file "$TMP/ready" "${@:2}" \
		>"$TMP/rx.json" 2>"$TMP/rx.err" &
	RXPID=$!
	XR_PIDS+=("$RXPID")
	for _ in $(seq 50); do
		[ -e "$TMP/ready" ] && return 0
		kill -0 "$RXPID" 2>/dev/null || break
		sleep 0.1
	done
	fail "benchrx $1 did not get ready: $(cat "$TMP/rx.err")"
}
# rx_stop: SIGTERM, wait, the JSON line in $TMP/rx.json.
rx_stop() {
	local rc
	kill -TERM "$RXPID"
	wait "$RXPID"
	rc=$?
	[ $rc = 0 ] || fail "benchrx exited $rc: $(cat "$TMP/rx.err")"
	[ "$(wc -l <"$TMP/rx.json")" = 1 ] || fail "benchrx printed not one line: $(cat "$TMP/rx.json")"
}

# run_gen OUT ARGS...: livegen from the peer namespace on CPU 0 (bounded by a timeout).
run_gen() {
	local out=$1
	shift
	timeout 15 nsenter --net=/run/netns/"$NS" "$LIVEGEN" --dev "$TX" --dst-mac $RXMAC \
		--dport $PORT --cpu 0 "$@" >"$out" 2>"$TMP/gen.err"
	local rc=$?
	[ $rc = 0 ] || fail "livegen exited $rc: $(cat "$TMP/gen.err")"
	[ -s "$out" ] || fail "livegen printed nothing"
}

# check MODE LABEL GEN_JSON RX_JSON LOST_XMIT: benchrx's line against livegen's.
check() {
	"$PY" - "$@" <<'EOF'
import json, sys
mode, label, genf, rxf, lost, sample = sys.argv[1:7]
sample = int(sample)
g, r = json.load(open(genf)), json.load(open(rxf))
sent, bad = g["sent"], []
if r.get("mode") != mode:
    bad.append("mode %r in the JSON line" % r.get("mode"))
if sent <= 0:
    bad.append("livegen sent nothing")
if r["packets"] != sent:
    bad.append("benchrx counted %d, livegen sent %d (sender's xdp_xmit_errors: %s)"
               % (r["packets"], sent, lost))
got = "sent %d in %.3f s, received %d" % (sent, g["seconds"], r["packets"])
if mode == "drop":
    if r["bytes"] != sent * g["frame_bytes"]:
        bad.append("%d bytes counted, %d expected" % (r["bytes"], sent * g["frame_bytes"]))
    got += ", %d bytes" % r["bytes"]
elif mode == "xsk":
    if r["redirected"] != sent:
        bad.append("%d redirected, %d sent" % (r["redirected"], sent))
    for k in ("rx_dropped", "rx_ring_full"):
        if r[k]:
            bad.append("%s %d" % (k, r[k]))
    got += ", redirected %d, rx_dropped %d, rx_ring_full %d, fill_ring_empty %d, zerocopy %s" % (
        r["redirected"], r["rx_dropped"], r["rx_ring_full"], r["fill_ring_empty"],
        json.dumps(r["zerocopy"]))
else:
    if r["breaks"]:
        bad.append("%d breaks in sequence" % r["breaks"])
    if (r["first_seq"], r["last_seq"]) != (g["first_seq"], g["last_seq"]):
        bad.append("seq %s..%s received, %s..%s sent"
                   % (r["first_seq"], r["last_seq"], g["first_seq"], g["last_seq"]))
    if r["future"]:
        bad.append("%d stamps in the future" % r["future"])
    if r["samples"] != (r["packets"] + sample - 1) // sample:
        bad.append("%d samples of %d packets with --sample %d"
                   % (r["samples"], r["packets"], sample))
    p = [r[k] for k in ("lat_min_ns", "lat_p50_ns", "lat_p99_ns", "lat_p999_ns", "lat_max_ns")]
    if None in p:
        bad.append("no latency figures: %s" % p)
    else:
        if not 0 < r["lat_p50_ns"] < 10**9:
            bad.append("p50 %d ns is not in (0, 1 s)" % r["lat_p50_ns"])
        if p != sorted(p):
            bad.append("min <= p50 <= p99 <= p99.9 <= max does not hold: %s" % p)
        got += ", seq %d..%d, %d breaks; latency us min %.1f p50 %.1f p99 %.1f p99.9 %.1f " \
            "max %.1f" % (r["first_seq"], r["last_seq"], r["breaks"],
                          *[x / 1e3 for x in p])
print("  %s %s: %s" % (mode, label, got))
for b in bad:
    print("BAD " + b)
sys.exit(1 if bad else 0)
EOF
}

# phase MODE LABEL RX_ARGS -- LIVEGEN_ARGS: one checked run.
phase() {
	local mode=$1 label=$2 rxargs=() e0 e1 sample=1
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ "$1" = --sample ] && sample=$2
		rxargs+=("$1")
		shift
	done
	shift
	rx_start "$mode" "${rxargs[@]}"
	e0=$(xmit_errors)
	run_gen "$TMP/gen.json" "$@"
	sleep 0.2
	e1=$(xmit_errors)
	rx_stop
	check "$mode" "$label" "$TMP/gen.json" "$TMP/rx.json" $((e1 - e0)) "$sample" >"$TMP/check"
	local rc=$?
	while read -r line; do say "$line"; done < <(grep -v '^BAD ' "$TMP/check")
	say "    benchrx: $(cat "$TMP/rx.json")"
	while read -r line; do soft "$mode $label: ${line#BAD }"; done < <(grep '^BAD ' "$TMP/check")
	[ $rc = 0 ] || grep -q '^BAD ' "$TMP/check" || soft "$mode $label: the check itself failed"
	[ ! -s "$TMP/rx.err" ] || say "  (benchrx said: $(tr '\n' ' ' <"$TMP/rx.err"))"
}

say "veth $RX (benchrx, native XDP, CPU 1) <- $TX in netns $NS; livegen on CPU 0; kernel $(uname -r)"

say "(a) --rate $RATE --seconds 1 over IPv4"
phase drop ipv4 -- --src $TX4 --dst $RX4 --rate $RATE --seconds 1
phase xsk ipv4 -- --src $TX4 --dst $RX4 --rate $RATE --seconds 1
phase sub ipv4 -- --src $TX4 --dst $RX4 --rate $RATE --seconds 1 --stamp frame

say "(b) 1000 datagrams over IPv6, 101-byte payload (sub: --sample 10)"
for mode in drop xsk sub; do
	args=()
	[ $mode = sub ] && args=(--sample 10)
	phase $mode ipv6 "${args[@]}" -- --src $TX6 --dst $RX6 --count 1000 --rate 50000 \
		--size 101 --first-seq 7000 --stamp frame
done

if [ "${BR_FLAT:-1}" != 0 ]; then
	say "(c) flat out, 2 s, 64-byte payload (information only)"
	for mode in drop xsk; do
		rx_start $mode
		run_gen "$TMP/flat.json" --src $TX4 --dst $RX4 --flat-out --seconds 2 --size 64
		sleep 0.2
		rx_stop
		"$PY" - "$mode" "$TMP/flat.json" "$TMP/rx.json" <<'EOF' | while read -r l; do say "$l"; done
import json, sys
mode, g, r = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
s = g["seconds"]
print("  %s flat-out: livegen sent %d in %.3f s (%.2f M/s); benchrx %s %d = %.2f M/s "
      "(%.1f%% of sent)%s" % (
          mode, g["sent"], s, g["sent"] / s / 1e6, mode, r["packets"], r["packets"] / s / 1e6,
          100.0 * r["packets"] / max(g["sent"], 1),
          "" if mode == "drop" else "; rx_dropped %d, rx_ring_full %d, fill_ring_empty %d, "
          "benchrx cpu user %.2f s sys %.2f s" % (r["rx_dropped"], r["rx_ring_full"],
                                                 r["fill_ring_empty"], r["cpu_user_s"],
                                                 r["cpu_sys_s"])))
EOF
	done
fi

say "(d) the errors"
"$BENCHRX" drop --dev lo --port $PORT >/dev/null 2>"$TMP/d.err"
rc=$?
say "  lo: exit $rc: $(cat "$TMP/d.err")"
if [ $rc != 1 ] || ! grep -q "native.* lo" "$TMP/d.err"; then
	soft "(d) attaching to lo gave exit $rc and: $(cat "$TMP/d.err")"
fi
"$BENCHRX" nosuch --dev "$RX" --port $PORT >/dev/null 2>"$TMP/d.err"
rc=$?
say "  bad mode: exit $rc: $(cat "$TMP/d.err")"
[ $rc = 2 ] || soft "(d) a bad mode gave exit $rc"

xr_soft_verdict
xr_pass "drop, xsk and sub count exactly what livegen sent over IPv4 and IPv6"
