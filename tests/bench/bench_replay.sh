#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmarks of issue 13, figures printed (and with BENCH_DOC=FILE written into that file's
# "Reading and replaying" section, between its replay markers):
#  - replay timing: one paced recording (recgen: REPLAY_N datagrams at REPLAY_RATE/s, 100-500
#    bytes) sent over a veth pair to a subscriber in the peer namespace that stamps arrivals
#    in the kernel (SO_TIMESTAMPNS), by xrelay-replay and by tcpreplay (Debian's) from the
#    same recording exported with xrelay-read -f pcap, in the same run. Error = each arrival
#    against its recorded time, less the median offset (the path's latency); p50 / p99.
#  - top speed: the same two senders flat out (xrelay-replay --top-speed, tcpreplay
#    --topspeed) over TOP_N 64-byte datagrams; datagrams/s as each sender reports it.
#  - xrelay-read: records/s to jsonl and to pcap (into /dev/null) over a READ_MB recording.
# QUICK=1: 20,000 paced, 200,000 top speed, 128 MiB read (under a minute); else 100,000,
# 1,000,000 and 1 GiB. Root (namespaces). Uses tests/net/lib.sh for the veth pair.
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
XR_NAME=bench_replay
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	: "${REPLAY_N:=20000}" "${TOP_N:=200000}" "${READ_MB:=128}"
else
	: "${REPLAY_N:=100000}" "${TOP_N:=1000000}" "${READ_MB:=1024}"
fi
: "${REPLAY_RATE:=20000}"
export REPLAY_N TOP_N READ_MB REPLAY_RATE QUICK BENCH_DOC
xr_begin 0 "$@"
for t in tcpreplay tcprewrite tshark; do
	command -v $t >/dev/null || xr_skip "$t is not installed (make deps)"
done
XREAD=$BUILD/xrelay-read
XREPLAY=$BUILD/xrelay-replay
RECGEN=$BUILD/read/recgen
xr_veth
# The benchmark's files go to the disk (the build folder), not to /tmp (maybe a tmpfs).
mkdir -p "$BUILD/tmp"
D=$(mktemp -d "$BUILD/tmp/bench_replay.XXXXXX")
trap 'rm -rf "$D"; xr__cleanup' EXIT
CPU0=(taskset -c 0)

# --- paced replay: xrelay-replay against tcpreplay -------------------------------------------
mkdir -p "$D/paced"
"$RECGEN" --dir "$D/paced" --channel paced --count "$REPLAY_N" \
	--interval $((1000000000 / REPLAY_RATE)) --min-len 100 --max-len 500 \
	--src $XR_H4 --dst $XR_P4 --sport 47200 --dport 7400 >/dev/null || xr_fail "recgen paced"
"$XREAD" --hex "$D/paced" >"$D/paced.jsonl" || xr_fail "xrelay-read jsonl"
"$XREAD" -f pcap -o "$D/raw.pcap" "$D/paced" || xr_fail "xrelay-read pcap"
# The made-up MACs become the pair's, so the peer's stack takes the frames.
tcprewrite --enet-smac=$XR_HMAC --enet-dmac=$XR_PMAC -i "$D/raw.pcap" -o "$D/paced.pcap" ||
	xr_fail "tcprewrite failed"

# measure NAME CMD...: run CMD (a sender) while the stamping subscriber listens; prints
# "received p50_ns p99_ns".
measure() {
	local name=$1
	shift
	rm -f "$D/$name.ready"
	xr_bg "rx$name" xr_peer "$XR_PY" "$XR_NET/stamp_rx.py" --bind $XR_P4 --port 7400 \
		--count "$REPLAY_N" --timeout 3 --ready "$D/$name.ready" --out "$D/$name.rx"
	xr_wait_file "$D/$name.ready" 5 || xr_fail "subscriber did not start"
	"$@" >"$D/$name.out" 2>&1 || xr_fail "$name: $* failed: $(tail -n 3 "$D/$name.out")"
	xr_wait "rx$name"
	"$XR_PY" - "$D/paced.jsonl" "$D/$name.rx" <<'PY'
import json, sys
rec = {}
for l in open(sys.argv[1]):
    j = json.loads(l)
    rec[j["payload"]] = j["ts_ns"]
off = []
for l in open(sys.argv[2]):
    t, p = l.split()
    if p in rec:
        off.append(int(t) - rec[p])
off.sort()
mid = off[len(off) // 2]
err = sorted(abs(o - mid) for o in off)
pct = lambda q: err[min(len(err) - 1, int(q * (len(err) - 1) + 0.5))]
print(len(off), pct(0.5), pct(0.99))
PY
}
read -r xr_got xr_p50 xr_p99 < <(measure xr "${CPU0[@]}" "$XREPLAY" --dest $XR_P4:7400 "$D/paced")
read -r tr_got tr_p50 tr_p99 < <(measure tr "${CPU0[@]}" tcpreplay -q -i "$XR_H" "$D/paced.pcap")
us() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'; }
xr_log "paced at $REPLAY_RATE/s, $REPLAY_N datagrams: xrelay-replay error p50 $(us "$xr_p50") us, p99 $(us "$xr_p99") us ($xr_got received); tcpreplay p50 $(us "$tr_p50") us, p99 $(us "$tr_p99") us ($tr_got received)"

# --- top speed -------------------------------------------------------------------------------
mkdir -p "$D/top"
"$RECGEN" --dir "$D/top" --channel top --count "$TOP_N" --interval 1000 --min-len 64 \
	--max-len 64 --src $XR_H4 --dst $XR_P4 --sport 47200 --dport 7401 >/dev/null ||
	xr_fail "recgen top"
"$XREAD" -f pcap -o "$D/topraw.pcap" "$D/top" || xr_fail "xrelay-read pcap (top)"
tcprewrite --enet-smac=$XR_HMAC --enet-dmac=$XR_PMAC -i "$D/topraw.pcap" -o "$D/top.pcap" ||
	xr_fail "tcprewrite failed"
xr_top=$("${CPU0[@]}" "$XREPLAY" --dest $XR_P4:7401 --top-speed --json "$D/top" | xr_json rate)
tr_out=$("${CPU0[@]}" tcpreplay -i "$XR_H" --topspeed --preload-pcap "$D/top.pcap" 2>&1)
tr_top=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' <<<"$tr_out" | head -n 1)
xr_log "top speed, $TOP_N x 64 B: xrelay-replay $(printf '%.0f' "$xr_top")/s, tcpreplay $(printf '%.0f' "${tr_top:-0}")/s"

# --- xrelay-read throughput ------------------------------------------------------------------
mkdir -p "$D/big"
n_big=$((READ_MB * 1048576 / 536))
"$RECGEN" --dir "$D/big" --channel big --queues 2 --count $n_big --per-file $((n_big / 8)) \
	--min-len 400 --max-len 600 >/dev/null || xr_fail "recgen big"
size=$(du -cb "$D/big"/* | tail -n 1 | cut -f1)
rate_of() {
	local t0 t1
	t0=$(date +%s%N)
	"${CPU0[@]}" "$XREAD" "$@" "$D/big" >/dev/null || xr_fail "xrelay-read $* failed"
	t1=$(date +%s%N)
	awk -v n=$n_big -v ns=$((t1 - t0)) -v b="$size" 'BEGIN { printf "%.0f %.0f", n / (ns / 1e9), b / 1048576 / (ns / 1e9) }'
}
cat "$D/big"/* >/dev/null # warm: the figures are the reader's, not the disk's
read -r j_rps j_mbs < <(rate_of -f jsonl)
read -r p_rps p_mbs < <(rate_of -f pcap)
read -r g_rps g_mbs < <(rate_of --gaps)
xr_log "xrelay-read over $((size / 1048576)) MiB ($n_big records): jsonl $j_rps records/s ($j_mbs MiB/s), pcap $p_rps records/s ($p_mbs MiB/s), --gaps $g_rps records/s"

if [ -n "${BENCH_DOC:-}" ]; then
	"$XR_PY" - "$XR_REPO/$BENCH_DOC" <<PY
import re, sys
p = sys.argv[1]
doc = open(p).read()
sec = """<!-- replay: begin (written by make bench: tests/bench/bench_replay.sh) -->
Run $(date -u +%Y-%m-%dT%H:%M:%S+00:00), kernel $(uname -r), 2 vCPUs; senders on CPU 0.

| sender | paced at $REPLAY_RATE/s ($REPLAY_N datagrams): error p50 | p99 | received | top speed (64 B) |
| --- | --- | --- | --- | --- |
| xrelay-replay | $(us "$xr_p50") us | $(us "$xr_p99") us | $xr_got | $(printf '%.0f' "$xr_top")/s |
| tcpreplay $(tcpreplay -V 2>&1 | sed -n 's/.*[Vv]ersion: *\([0-9.]*\).*/\1/p' | head -n 1) | $(us "$tr_p50") us | $(us "$tr_p99") us | $tr_got | $(printf '%.0f' "${tr_top:-0}")/s |

| xrelay-read over $((size / 1048576)) MiB ($n_big records of 400-600 B, 2 shards, 16 files) | records/s | MiB/s |
| --- | --- | --- |
| \`-f jsonl\` (base64) | $j_rps | $j_mbs |
| \`-f pcap\` | $p_rps | $p_mbs |
| \`--gaps\` (decode only) | $g_rps | $g_mbs |
<!-- replay: end -->"""
if "<!-- replay: begin" in doc:
    doc = re.sub(r"<!-- replay: begin.*?<!-- replay: end -->", lambda m: sec, doc, flags=re.S)
else:
    doc = doc.rstrip("\n") + "\n\n## Reading and replaying (issue 13)\n\n" + sec + "\n"
open(p, "w").write(doc)
PY
	xr_log "wrote the replay section of $BENCH_DOC"
fi
echo "bench_replay: done"
