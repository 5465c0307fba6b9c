#!/bin/bash
# SPDX-License-Identifier: MIT
#
# livegen's self-test: proves the generator sends what it says, stamped as livegen.h says, at
# the rate asked. In private mount, net and pid namespaces (a fresh bpffs, a tmpfs on
# /run/netns) it makes a veth pair: the receiving end lgr-* (192.0.2.1, 2001:db8::1) with
# rxcount.bpf.o attached (native XDP), the sending end lgt-* in a named netns (192.0.2.2,
# 2001:db8::2) where livegen runs on CPU 0 through nsenter. Then:
#   (a) --rate 100000 for 2 s: the receiver's count equals livegen's "sent", the sequence numbers
#       are first_seq..last_seq each once in order, no stamp lies in the future, and the rate is
#       within 5% of the asked (frames the sending veth counts as xdp_xmit_errors, its peer's
#       ring being full, are allowed for as explained loss, and then make gaps);
#   (b) --flat-out for 2 s: the same checks; prints the rate and both cores' load;
#   (c) 1000 datagrams each over IPv4 and IPv6 (an odd 101-byte payload) passed on to the
#       stack: captured on the receiving end (AF_PACKET) their IPv4 header checksum is right,
#       their UDP checksum is 0 (IPv4) or right (IPv6), and a UDP socket gets every one; stamps,
#       lengths and payload bytes as livegen.h says;
#   (d) the error for a missing interface.
# Rates are noisy on a shared VM (flat-out swung 11-22 M/s here): only (a)'s is checked.
# Removes everything it made (trap), kills only what it started, ends within 60 s.
# Exit 0 pass, 1 fail, 77 skip (the reason printed). BUILD (default build) holds the build;
# LG_FLAT_ARGS adds livegen options to (b) (--stamp frame, --batch 256, --size 1000, ...).
set -u

NAME=livegen-selftest
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
LIVEGEN=$BUILD/bench/livegen
RXOBJ=$BUILD/tests/bench/livegen/rxcount.bpf.o
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

RATE=100000
PORT=47000
RX4=192.0.2.1
TX4=192.0.2.2
RX6=2001:db8::1
TX6=2001:db8::2
RXMAC=02:00:5e:10:00:01
TXMAC=02:00:5e:10:00:02

say() { printf '%s: %s\n' "$NAME" "$*"; }
skip() {
	say "SKIP - $*"
	exit 77
}

# --- outside: check, then run the rest in private namespaces under a watchdog ---------------

if [ -z "${LG_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (namespaces, XDP, bpffs)"
	for t in unshare nsenter ip ethtool bpftool timeout taskset; do
		command -v $t >/dev/null 2>&1 || skip "$t is not installed"
	done
	command -v "$PY" >/dev/null 2>&1 || skip "python3 is not installed"
	if [ ! -x "$LIVEGEN" ] || [ ! -f "$RXOBJ" ]; then
		skip "not built: make BUILD=${BUILD#"$REPO"/} $LIVEGEN $RXOBJ"
	fi
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (the generator on CPU 0, the other one idle)"
	unshare --mount --net --pid --fork true 2>/dev/null ||
		skip "cannot make namespaces here (unshare --mount --net --pid failed)"
	# The watchdog: TERM at 55 s (the trap cleans up), KILL 5 s later; --kill-child passes a
	# dying unshare on to the script (PID 1 of its pid namespace, which only sees signals it
	# has a handler for: the trap).
	LG_INNER=1 exec timeout --kill-after=5 55 unshare --mount --net --pid --fork --mount-proc \
		--propagation private --kill-child=TERM bash "$0" "$@"
fi

# --- inside -----------------------------------------------------------------------------------

RAND=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=lg-$RAND
RX=lgr-$RAND
TX=lgt-$RAND
PIN=/sys/fs/bpf/lg-$RAND
TMP=$(mktemp -d /tmp/livegen-selftest.XXXXXX)
PIDS=()
FAILS=()
MOUNTS=()

# shellcheck disable=SC2317 # (run by the trap)
cleanup() {
	local p m
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip link set dev "$RX" xdp off 2>/dev/null
	rm -rf "$PIN"
	ip netns del "$NS" 2>/dev/null
	ip link del "$RX" 2>/dev/null
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'say "FAIL - interrupted or timed out"; exit 1' INT TERM

fail() {
	say "FAIL - $*"
	exit 1
}
# A failed check that lets the test go on; the verdict comes at the end.
soft() {
	say "  check failed: $*"
	FAILS+=("$*")
}
in_ns() { nsenter --net=/run/netns/"$NS" "$@"; }

# Fresh bpffs and a private /run/netns: nothing pinned or named here is seen outside.
mount -t bpf bpf /sys/fs/bpf || fail "cannot mount a bpffs"
MOUNTS+=(/sys/fs/bpf)
mkdir -p /run/netns
mount -t tmpfs tmpfs /run/netns || fail "cannot mount a tmpfs on /run/netns"
MOUNTS=(/run/netns "${MOUNTS[@]}")
ip link set lo up

ip netns add "$NS" || fail "ip netns add $NS"
ip link add "$RX" address $RXMAC type veth peer name "$TX" address $TXMAC ||
	fail "cannot make a veth pair"
ip link set "$TX" netns "$NS" || fail "cannot move $TX into $NS"
# No IPv6 autoconfiguration noise; static addresses without DAD.
sysctl -qw net.ipv6.conf."$RX".accept_ra=0 net.ipv6.conf."$RX".autoconf=0 2>/dev/null
in_ns sysctl -qw net.ipv6.conf."$TX".accept_ra=0 net.ipv6.conf."$TX".autoconf=0 2>/dev/null
ip addr add $RX4/24 dev "$RX"
ip addr add $RX6/64 dev "$RX" nodad
ip link set "$RX" up
in_ns ip link set lo up
in_ns ip addr add $TX4/24 dev "$TX"
in_ns ip addr add $TX6/64 dev "$TX" nodad
in_ns ip link set "$TX" up
ip neigh replace $TX4 lladdr $TXMAC dev "$RX" nud permanent
ip neigh replace $TX6 lladdr $TXMAC dev "$RX" nud permanent
in_ns ip neigh replace $RX4 lladdr $RXMAC dev "$TX" nud permanent
in_ns ip neigh replace $RX6 lladdr $RXMAC dev "$TX" nud permanent

# The counting receiver, native XDP on the receiving end.
mkdir -p "$PIN"
bpftool prog load "$RXOBJ" "$PIN/prog" type xdp pinmaps "$PIN" 2>"$TMP/bpftool.log" ||
	fail "loading rxcount.bpf.o: $(tail -n 3 "$TMP/bpftool.log")"
bpftool net attach xdpdrv pinned "$PIN/prog" dev "$RX" 2>"$TMP/bpftool.log" ||
	fail "attaching rxcount in native mode to $RX: $(tail -n 3 "$TMP/bpftool.log")"

# le32 N: the 4 bytes of N, little-endian, as bpftool takes them.
le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# rx_config PASS: count datagrams to $PORT; PASS=1 hands them on to the stack, 0 drops them.
rx_config() {
	# shellcheck disable=SC2046 # word splitting wanted: one argument a byte
	bpftool map update pinned "$PIN/rxc_cfg" key 0 0 0 0 value $(le32 $PORT) $(le32 "$1") ||
		fail "bpftool map update rxc_cfg"
}
rx_reset() {
	local size
	size=$(bpftool -j map show pinned "$PIN/rxc_stats" | "$PY" -c \
		'import json,sys; print(json.load(sys.stdin)["bytes_value"])') ||
		fail "bpftool map show rxc_stats"
	# shellcheck disable=SC2046
	bpftool map update pinned "$PIN/rxc_stats" key 0 0 0 0 value $(printf '0 %.0s' $(seq "$size")) ||
		fail "bpftool map update rxc_stats"
}
# rx_stats FILE: the receiver's counters as one JSON object.
rx_stats() {
	bpftool -j map lookup pinned "$PIN/rxc_stats" key 0 0 0 0 >"$TMP/raw.json" ||
		fail "bpftool map lookup rxc_stats"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d["formatted"]["value"]))' \
		"$TMP/raw.json" >"$1" || fail "cannot read bpftool's output: $(head -c 300 "$TMP/raw.json")"
}
# The sender's veth: frames it failed to hand to the receiving end (ring full, no NAPI).
xmit_errors() {
	in_ns ethtool -S "$TX" 2>/dev/null | awk '/xdp_xmit_errors/ { s += $2 } END { print s + 0 }'
}
# The busy and total jiffies of cpu0 and cpu1: "busy0 total0 busy1 total1".
cpu_ticks() {
	awk '/^cpu[01] / { t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%d %d ", t - $5 - $6, t }' /proc/stat
}

# run_gen LABEL OUT ARGS...: livegen from the peer namespace on CPU 0 (bounded by a timeout).
run_gen() {
	local label=$1 out=$2
	shift 2
	timeout 15 nsenter --net=/run/netns/"$NS" "$LIVEGEN" --dev "$TX" --dst-mac $RXMAC \
		--dport $PORT --cpu 0 "$@" >"$out" 2>"$TMP/gen.err"
	local rc=$?
	[ $rc = 0 ] || fail "$label: livegen exited $rc: $(cat "$TMP/gen.err")"
	[ -s "$out" ] || fail "$label: livegen printed nothing"
	[ ! -s "$TMP/gen.err" ] || say "  $label: livegen said: $(cat "$TMP/gen.err")"
}

# check_phase LABEL GEN_JSON RX_JSON ERRS_BEFORE ERRS_AFTER [RATE]: the receiver against livegen.
check_phase() {
	"$PY" - "$@" <<'EOF'
import json, sys
label, genf, rxf, e0, e1 = sys.argv[1:6]
rate = int(sys.argv[6]) if len(sys.argv) > 6 else 0
g, r = json.load(open(genf)), json.load(open(rxf))
lost_xmit = int(e1) - int(e0)
bad = []
sent, count = g["sent"], int(r["count"])
missing, breaks = sent - count, int(r["breaks"])
first, last = int(r["first_seq"]), int(r["last_seq"])
if sent <= 0:
    bad.append("livegen sent nothing")
if missing == 0:
    if count and (first != g["first_seq"] or last != g["last_seq"]):
        bad.append("sequence numbers %d..%d received, %s..%s sent"
                   % (first, last, g["first_seq"], g["last_seq"]))
    if breaks:
        bad.append("%d datagrams out of sequence (gap, repeat or reorder)" % breaks)
    inorder = "each once in order"
elif missing > 0 and missing == lost_xmit:
    # Explained loss: the sender's veth could not hand them over (the receiving end's ring was
    # full while its NAPI was held off). What arrived must still be in order, gaps aside.
    if count and (first < g["first_seq"] or last > g["last_seq"] or breaks > missing):
        bad.append("sequence numbers %d..%d received with %d breaks, %s..%s sent, %d lost"
                   % (first, last, breaks, g["first_seq"], g["last_seq"], missing))
    inorder = "in order; %d lost in the veth ring (xdp_xmit_errors), so %d gaps" % (
        missing, breaks)
else:
    why = ("only %d counted as xdp_xmit_errors on the sender" % lost_xmit) if lost_xmit \
        else "no xdp_xmit_errors on the sender to explain it"
    bad.append("the receiver saw %d datagrams, livegen sent %d (%d missing: %s)"
               % (count, sent, missing, why))
    inorder = "%d breaks in sequence" % breaks
if count and g["last_seq"] - g["first_seq"] + 1 != sent:
    bad.append("livegen's first_seq..last_seq does not span its sent count")
if count and not int(r["sampled"]):
    bad.append("no stamp was sampled")
if int(r["future"]):
    bad.append("%s of %s sampled datagrams stamped in the future" % (r["future"], r["sampled"]))
if int(r["other"]):
    print("  (%s other frames passed by the receiver)" % r["other"])
got = "%d sent in %.3f s = %.0f/s; received %d, seq %d..%d %s" % (
    sent, g["seconds"], g["rate"], count, first, last, inorder)
n = int(r["sampled"]) - int(r["future"])
if n > 0:
    got += "; stamp to XDP receive %.1f us mean, %.1f us max (1 in 64 sampled)" % (
        int(r["lat_sum_ns"]) / n / 1e3, int(r["lat_max_ns"]) / 1e3)
print("  %s: %s" % (label, got))
print("  %s: livegen cpu user %.3f s, sys %.3f s" % (label, g["cpu_user_s"], g["cpu_sys_s"]))
if rate:
    dev = (g["rate"] - rate) / rate
    print("  %s: asked %d/s, got %.0f/s (%+.2f%%)" % (label, rate, g["rate"], dev * 100))
    if abs(dev) > 0.05:
        bad.append("rate %.0f/s is more than 5%% off the asked %d/s" % (g["rate"], rate))
for b in bad:
    print("BAD " + b)
sys.exit(1 if bad else 0)
EOF
}

# phase LABEL [RATE] LIVEGEN_ARGS...: one counted run, checked; sets CPU_LOAD.
phase() {
	local label=$1 rate=$2 e0 e1 t0 t1
	shift 2
	rx_reset
	e0=$(xmit_errors)
	t0=$(cpu_ticks)
	run_gen "$label" "$TMP/$label.gen.json" "$@"
	t1=$(cpu_ticks)
	sleep 0.2 # let the receiving NAPI drain its ring
	e1=$(xmit_errors)
	rx_stats "$TMP/$label.rx.json"
	# shellcheck disable=SC2086
	CPU_LOAD=$(echo $t0 $t1 | awk '{ printf "cpu0 %.0f%%, cpu1 %.0f%%",
		100 * ($5 - $1) / ($6 - $2 + ($6 == $2)), 100 * ($7 - $3) / ($8 - $4 + ($8 == $4)) }')
	if [ "$rate" = 0 ]; then
		check_phase "$label" "$TMP/$label.gen.json" "$TMP/$label.rx.json" "$e0" "$e1" >"$TMP/check"
	else
		check_phase "$label" "$TMP/$label.gen.json" "$TMP/$label.rx.json" "$e0" "$e1" \
			"$rate" >"$TMP/check"
	fi
	local rc=$?
	while read -r line; do say "$line"; done < <(grep -v '^BAD ' "$TMP/check")
	say "  $label: both cores' load while livegen ran (all processes): $CPU_LOAD"
	while read -r line; do soft "$label: ${line#BAD }"; done < <(grep '^BAD ' "$TMP/check")
	[ $rc = 0 ] || grep -q '^BAD ' "$TMP/check" || soft "$label: the check itself failed"
}

say "veth $RX (rxcount, native XDP) <- $TX in netns $NS; livegen on CPU 0; kernel $(uname -r)"
rx_config 0

say "(a) --rate $RATE for 2 s"
phase rate "$RATE" --src $TX4 --dst $RX4 --rate "$RATE" --seconds 2

say "(b) --flat-out for 2 s${LG_FLAT_ARGS:+ $LG_FLAT_ARGS}"
# shellcheck disable=SC2086 # LG_FLAT_ARGS: options, split on purpose
phase flat 0 --src $TX4 --dst $RX4 --flat-out --seconds 2 ${LG_FLAT_ARGS:-}
FLAT_RATE=$("$PY" -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["rate"])' \
	"$TMP/flat.gen.json")

# (c) through the kernel stack into UDP sockets: the checksums and bytes as a receiver sees them.
say "(c) 1000 datagrams each over IPv4 and IPv6 to the stack: checksums on the wire, UDP sockets"
rx_config 1
for fam in 4 6; do
	if [ $fam = 4 ]; then src=$TX4 dst=$RX4; else src=$TX6 dst=$RX6; fi
	rm -f "$TMP/ready"
	"$PY" - "$RX" "$dst" $PORT 1000 101 "$TMP/ready" >"$TMP/sock$fam.out" 2>&1 <<'EOF' &
# Two views of the same datagrams: the frames on the receiving veth (AF_PACKET, checked here:
# IPv4 header checksum, UDP checksum 0 for IPv4 and valid for IPv6, stamp, payload) and what a
# UDP socket gets from the kernel (all of them, in sequence).
import select, socket, struct, sys, time
ifname, addr, port, n, size, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
v6 = ":" in addr
udp = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL
for s in (udp, raw):
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
udp.bind((addr, port))
raw.bind((ifname, 0))
open(ready, "w").close()


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


tail = bytes(k & 0xff for k in range(16, size))
useqs, wseqs, bad = [], [], []


def payload(where, d):
    now = time.monotonic_ns()  # the clock of bpf_ktime_get_ns
    if len(d) != size:
        bad.append("%s: a %d-byte payload, %d expected" % (where, len(d), size))
        return None
    seq, tx = struct.unpack(">QQ", d[:16])
    if tx > now or now - tx > 5 * 10**9:
        bad.append("%s: seq %d stamped %d ns, received %d ns" % (where, seq, tx, now))
    if d[16:] != tail:
        bad.append("%s: seq %d: the payload after the stamp differs" % (where, seq))
    return seq


def frame(f):
    et = struct.unpack("!H", f[12:14])[0]
    if et == 0x0800 and not v6 and f[23] == 17:
        l4 = f[34:]
        if csum(f[14:34]) != 0xffff:
            bad.append("wire: bad IPv4 header checksum")
        if struct.unpack("!H", l4[6:8])[0] != 0:
            bad.append("wire: IPv4 UDP checksum not 0")
    elif et == 0x86dd and v6 and f[20] == 17:
        l4 = f[54:]
        ulen = struct.unpack("!H", l4[4:6])[0]
        pseudo = f[22:54] + struct.pack("!I3xB", ulen, 17)
        if struct.unpack("!H", l4[6:8])[0] == 0 or csum(pseudo + l4[:ulen]) != 0xffff:
            bad.append("wire: bad IPv6 UDP checksum")
    else:
        return
    if struct.unpack("!H", l4[2:4])[0] != port:
        return
    seq = payload("wire", l4[8:struct.unpack("!H", l4[4:6])[0]])
    if seq is not None:
        wseqs.append(seq)


end = time.monotonic() + 5
while (len(useqs) < n or len(wseqs) < n) and time.monotonic() < end:
    for s in select.select([udp, raw], [], [], 0.2)[0]:
        if s is udp:
            seq = payload("socket", udp.recv(65536))
            if seq is not None:
                useqs.append(seq)
        else:
            d, a = raw.recvfrom(65536)
            if a[2] != socket.PACKET_OUTGOING:
                frame(d)
for where, seqs in (("socket", useqs), ("wire", wseqs)):
    if len(seqs) != n:
        bad.append("%s: %d of %d datagrams" % (where, len(seqs), n))
    elif seqs != list(range(seqs[0], seqs[0] + n)):
        bad.append("%s: sequence numbers not consecutive: %s..." % (where, seqs[:5]))
print("%d frames on the wire, %d datagrams in the socket, seq %s..%s" % (
    len(wseqs), len(useqs), useqs[0] if useqs else "-", useqs[-1] if useqs else "-"))
for b in bad[:5]:
    print("BAD " + b)
sys.exit(1 if bad else 0)
EOF
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 50); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
	[ -e "$TMP/ready" ] || fail "(c) IPv$fam: the receiver did not start: $(cat "$TMP/sock$fam.out")"
	run_gen "ipv$fam" "$TMP/sock$fam.gen.json" --src $src --dst $dst --size 101 --count 1000 \
		--rate 20000 --first-seq 5000
	wait "$pid"
	rc=$?
	say "  IPv$fam: $(head -n 1 "$TMP/sock$fam.out") (livegen: $(cat "$TMP/sock$fam.gen.json"))"
	while read -r line; do soft "(c) IPv$fam: ${line#BAD }"; done < <(grep '^BAD ' "$TMP/sock$fam.out")
	[ $rc = 0 ] || grep -q '^BAD ' "$TMP/sock$fam.out" || soft "(c) IPv$fam: receiver exited $rc"
done
csum6=$(awk '$1 == "Udp6InCsumErrors" { print $2 }' /proc/net/snmp6)
[ "${csum6:-0}" = 0 ] || soft "(c) the kernel counted $csum6 IPv6 UDP checksum errors"

say "(d) the error for a missing interface"
in_ns "$LIVEGEN" --dev lg-none --dst-mac $RXMAC --src $TX4 --dst $RX4 --dport $PORT \
	--count 1 >/dev/null 2>"$TMP/d.err"
rc=$?
say "  exit $rc: $(cat "$TMP/d.err")"
if [ $rc != 1 ] || ! grep -q "no interface 'lg-none'" "$TMP/d.err"; then
	soft "(d) a missing interface gave exit $rc and: $(cat "$TMP/d.err")"
fi

if [ ${#FAILS[@]} -gt 0 ]; then
	say "FAIL - ${#FAILS[@]} check(s) failed"
	exit 1
fi
say "PASS - rate mode within 5% of $RATE/s, flat-out $FLAT_RATE/s, the receiver's counts match livegen's"
exit 0
