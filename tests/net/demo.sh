#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: xrelay end to end in a minute, on a veth pair standing in for a NIC. Builds
# nothing (make demo builds first). Runs in private namespaces of its own and removes all it
# made when it ends, also on Ctrl-C. DEMO_SECONDS (default 3) of traffic at DEMO_RATE (default
# 10000) datagrams a second. XR_MODE=socket (make demo MODE=socket): the socket backend
# instead of XDP.
XR_NAME=demo
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 180 "$@"
exec 2>&1 # one stream, in order: the curl commands (echoed on stderr) before their answers
xr_need_tools
xr_need_dataplane

SECS=${DEMO_SECONDS:-3}
RATE=${DEMO_RATE:-10000}
N=$((SECS * RATE))
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; }
pretty() { "$XR_PY" -m json.tool --indent 2; }

say "A veth pair stands in for the NIC"
xr_veth
echo "$XR_H (192.0.2.1, this side) <-> $XR_P (192.0.2.2) in network namespace $XR_NS"
echo "(the demo runs in namespaces of its own: nothing here touches the host's network or maps)"

if [ "$XR_MODE" = socket ]; then
	say "Start the control API and the dataplane (socket backend on $XR_H: io_uring, no XDP)"
else
	say "Start the control API and the dataplane (native XDP on $XR_H)"
fi
run "xrelay-api --listen 127.0.0.1:8080 --pin-dir $XR_PIN"
xr_api
run "xrelay-dataplane --iface $XR_H${XR_MODE:+ --mode $XR_MODE} --xdp-mode native --out $XR_OUT --pin-dir $XR_PIN"
xr_dataplane --xdp-mode native
sed 's/^/  | /' "$XR_TMP/dp.log"
XR_ECHO=1 xr_curl GET /healthz | pretty

say "Create a channel: UDP to 192.0.2.1:5000, re-sent to 239.1.1.1:6000 and 1 in 10 to 239.1.1.2:6001"
XR_ECHO=1 xr_curl POST /channels '{"name": "demo", "port": 5000, "addr": "192.0.2.1", "destinations": [{"addr": "239.1.1.1", "port": 6000, "interface": "'"$XR_H"'"}, {"addr": "239.1.1.2", "port": 6001, "every": 10, "interface": "'"$XR_H"'"}]}' | pretty
[ "$(xr_status)" = 201 ] || xr_fail "POST /channels answered $(xr_status)"

say "A subscriber of 239.1.1.1:6000 listens in the other namespace"
run "udpsub --group 239.1.1.1 --port 6000 --if $XR_P --expect $N"
xr_sub sub --group 239.1.1.1 --port 6000 --if "$XR_P" --expect $N --timeout $((SECS + 20))

say "Send $N datagrams (0-1472 bytes) from the other namespace, $SECS s at $RATE/s"
run "udpgen --dst 192.0.2.1 --port 5000 --count $N --rate $RATE"
xr_bg gen nsenter --net=/run/netns/"$XR_NS" "$UDPGEN" --dst 192.0.2.1 --port 5000 --count $N \
	--rate "$RATE" --bind-if "$XR_P"
for i in $(seq $((SECS + 10))); do
	sleep 1
	printf '  after %2d s: %s\n' "$i" "$(xr_curl GET /channels/demo/stats | xr_json rx_packets \
		recorded_packets sent_packets dropped_packets |
		paste -sd' ' | awk '{printf "rx %s, recorded %s, sent %s, dropped %s", $1, $2, $3, $4}')"
	xr_alive "${XR_BG[gen]}" || break
done
xr_wait gen || xr_fail "udpgen failed: $(cat "$XR_TMP/gen.err")"
echo "  udpgen: $(cat "$XR_TMP/gen.out")"
xr_wait sub
echo "  udpsub: $(cat "$XR_TMP/sub.out")"
xr_wait_stats demo recorded_packets $N 5

say "The counters"
XR_ECHO=1 xr_curl GET /stats | pretty

say "Rotate the files (SIGHUP) and decode the first records"
run "kill -HUP \$(pidof xrelay-dataplane)"
kill -HUP "$XR_DP_PID"
for i in $(seq 50); do
	[ -z "$(find "$XR_OUT/demo" -name '*.part')" ] && break
	sleep 0.1
done
run "ls -l $XR_OUT/demo"
ls -l "$XR_OUT/demo" | tail -n +2 | sed 's/^/  /'
f=$(find "$XR_OUT/demo" -name '*.avro' | sort | head -n 1)
[ -n "$f" ] || xr_fail "no closed .avro file after SIGHUP"
run "tests/util/avro_read.py $(basename "$f") | head -n 4"
"$XR_PY" "$AVRO_READ" "$f" >"$XR_TMP/decoded.jsonl" || xr_fail "avro_read.py could not read $f"
head -n 4 "$XR_TMP/decoded.jsonl" | "$XR_PY" -c '
import ipaddress, json, sys
head = json.loads(sys.stdin.readline())
print("file header: codec %s, records per block %s..., metadata:" % (head["codec"], head["blocks"][:4]))
for k, v in head["meta"].items():
    print("  %-15s %s" % (k, v if k != "avro.schema" else v[:90] + "..."))
for line in sys.stdin:
    r = json.loads(line)
    r["src_addr"] = str(ipaddress.ip_address(bytes.fromhex(r["src_addr"])))
    r["dst_addr"] = str(ipaddress.ip_address(bytes.fromhex(r["dst_addr"])))
    n = len(r["payload"]) // 2
    r["payload"] = "%s... (%d bytes)" % (r["payload"][:24], n) if n > 12 else r["payload"]
    print(json.dumps(r, indent=2))
'
echo "... $(($(wc -l <"$XR_TMP/decoded.jsonl") - 1)) records in all; every block checked (counts, sizes, sync markers)"

say "Delete the channel: its files are closed and renamed"
XR_ECHO=1 xr_curl DELETE /channels/demo >/dev/null
echo "  $(xr_status)"

say "Stop the dataplane (SIGTERM) and clean up"
xr_stop "$XR_DP_PID"
echo "  xrelay-dataplane exited with status $?"
tail -n 1 "$XR_TMP/dp.log" | sed 's/^/  | /'
xr_pass "everything it made (namespace, veth, processes, pins, $XR_TMP) is removed on exit"
