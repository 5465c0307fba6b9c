#!/bin/bash
# SPDX-License-Identifier: MIT
# A real recording read back and replayed (issue 13):
#  - the dataplane records a paced stream (2000 datagrams at 2000/s, 0-500 bytes) on a veth;
#    the books balance in /stats; xrelay-read --gaps finds none (exit 0); xrelay-read's pcap,
#    read by tshark, holds recorded_packets frames;
#  - xrelay-replay sends the recording to a subscriber in the peer namespace that stamps
#    arrivals (SO_TIMESTAMPNS): every record arrives, payloads equal and in order; paced: the
#    replay lasts as long as the recording (within 10 %), and the inter-arrival times follow
#    the recorded ones (each arrival against its recorded time less the median offset: the
#    median error under 1 ms); --speed 4 lasts a quarter (within 25 %).
# The timing bounds are loose on purpose (2 shared vCPUs): the figures are make bench's.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 90 "$@"
xr_need_tools
xr_need_dataplane
[ -x "$BUILD/xrelay-read" ] && [ -x "$BUILD/xrelay-replay" ] || xr_skip "xrelay-read/replay not built"
command -v tshark >/dev/null || xr_skip "tshark is not installed (make deps)"
xr_veth

N=2000
SEED=$((RANDOM + 1))
xr_api
xr_dataplane --xdp-mode native
xr_channel_create '{"name": "rp", "port": 6400, "addr": "'$XR_H4'"}'
xr_peer "$UDPGEN" --dst $XR_H4 --port 6400 --src-port 47100 --count $N --rate 2000 \
	--min-len 0 --max-len 500 --seed $SEED >/dev/null || xr_fail "udpgen failed"
xr_wait_stats rp recorded_packets $N 5
xr_books rp 0
read -r rx rec dropped _ <<<"$XR_BOOKS"
xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane exited $? on SIGTERM"
xr_check '[ "$rec" = $N ]' "all $N datagrams recorded" "rx $rx recorded $rec dropped $dropped"

out=$("$BUILD/xrelay-read" --gaps "$XR_OUT/rp")
rc=$?
xr_check '[ $rc = 0 ] && grep -q "total: 0 gap(s), 0 missing, $N records" <<<"$out"' "xrelay-read --gaps: none, exit 0" "exit $rc: $out"
"$BUILD/xrelay-read" -f pcap -o "$XR_TMP/rp.pcap" "$XR_OUT/rp" || xr_fail "xrelay-read -f pcap failed"
frames=$(tshark -r "$XR_TMP/rp.pcap" -o udp.check_checksum:TRUE -Y 'udp.checksum.status == 1' 2>/dev/null | wc -l)
xr_check '[ "$frames" = "$rec" ]' "tshark reads $frames frames with good UDP checksums = recorded_packets" "$frames"
"$BUILD/xrelay-read" --hex "$XR_OUT/rp" >"$XR_TMP/rp.jsonl" || xr_fail "xrelay-read jsonl failed"

# replay NAME ARGS...: replay to the stamping subscriber; prints its verdict line.
replay() {
	local name=$1
	shift
	rm -f "$XR_TMP/$name.ready"
	xr_bg "rx$name" xr_peer "$XR_PY" "$XR_NET/stamp_rx.py" --bind $XR_P4 --port 7400 \
		--count $N --timeout 5 --ready "$XR_TMP/$name.ready" --out "$XR_TMP/$name.rx"
	xr_wait_file "$XR_TMP/$name.ready" 5 || xr_fail "the subscriber did not start"
	"$BUILD/xrelay-replay" --dest $XR_P4:7400 "$@" "$XR_OUT/rp" 2>"$XR_TMP/$name.err" ||
		xr_fail "xrelay-replay $* exited $?: $(cat "$XR_TMP/$name.err")"
	xr_wait "rx$name"
	"$XR_PY" - "$XR_TMP/rp.jsonl" "$XR_TMP/$name.rx" <<'PY'
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1])]
rx = [l.split() for l in open(sys.argv[2])]
rx = [(int(t), p[0] if p else "") for t, *p in rx]
ok = len(rx) == len(rec) and all(r["payload"] == p for r, (_, p) in zip(rec, rx))
span = rec[-1]["ts_ns"] - rec[0]["ts_ns"]
dur = rx[-1][0] - rx[0][0] if rx else 0
# Each arrival against its recorded time, less the median offset (the latency of the path).
off = sorted(rx[i][0] - rec[i]["ts_ns"] for i in range(min(len(rx), len(rec))))
mid = off[len(off) // 2] if off else 0
err = sorted(abs(o - mid) for o in off)
print(1 if ok else 0, len(rx), span, dur, err[len(err) // 2] if err else -1)
PY
}

read -r ok got span dur med < <(replay one)
xr_check '[ "$ok" = 1 ]' "replayed: all $got of $N datagrams arrived, payloads equal, in order"
xr_check '[ $((dur * 10)) -ge $((span * 9)) ] && [ $((dur * 10)) -le $((span * 11)) ]' \
	"paced: the replay took $((dur / 1000000)) ms for a recording of $((span / 1000000)) ms"
xr_check '[ "$med" -lt 1000000 ]' "inter-arrival times follow the recording: median error $((med / 1000)) us" "$med ns"
read -r ok got span dur4 med < <(replay four --speed 4)
xr_check '[ "$ok" = 1 ] && [ $((dur4 * 4 * 4)) -ge $((span * 3)) ] && [ $((dur4 * 4 * 4)) -le $((span * 5)) ]' \
	"--speed 4: all $got arrived in $((dur4 / 1000000)) ms (a quarter of $((span / 1000000)) ms)" "ok $ok"
xr_soft_verdict
xr_pass "recorded $rec with balanced books; read back with no gaps; replayed complete and paced ($(cat "$XR_TMP/one.err" | sed 's/^xrelay-replay: //'))"
