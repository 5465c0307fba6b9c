#!/bin/bash
# SPDX-License-Identifier: MIT
# The socket backend records IP-fragmented datagrams whole: the kernel reassembles them before
# a socket sees them (XDP mode can only pass fragments on and count them). 20 datagrams of
# 4000 bytes each (IPv4) and 20 of 3000 (IPv6), each sent over the 1500-byte MTU of the veth,
# so three fragments each: the Avro files, read by python3-avro, must hold each payload byte
# for byte with its addresses and ports, seq 0..19; /stats must show them received and
# recorded, and the books balance.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 60 "$@"
xr_need_dataplane
xr_veth
XR_MODE=socket
N=20

xr_api
xr_dataplane
xr_channel_create '{"name": "frag4", "port": 5500, "addr": "'$XR_H4'"}'
xr_channel_create '{"name": "frag6", "port": 5506, "addr": "'$XR_H6'"}'
sleep 0.2

# Sent from the peer: payload i = bytes (i * 7 + k) % 251, k = 0..len-1; Linux fragments a
# UDP datagram past the MTU (no DF) by itself.
send=$(xr_peer "$XR_PY" - "$XR_H4" "$XR_H6" $N <<'PY'
import socket, sys
h4, h6, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def payload(i, size): return bytes((i * 7 + k) % 251 for k in range(size))
for fam, dst, port, sport, size in ((socket.AF_INET, h4, 5500, 42000, 4000),
                                    (socket.AF_INET6, h6, 5506, 42006, 3000)):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", sport))
    for i in range(n):
        s.sendto(payload(i, size), (dst, port))
print("sent")
PY
) || xr_fail "the sender failed: $send"
xr_wait_stats frag4 recorded_packets $N 5
xr_wait_stats frag6 recorded_packets $N 5
xr_books frag4
xr_books frag6
read -r rx rec < <(xr_curl GET /channels/frag4/stats | xr_json rx_packets recorded_packets |
	paste -sd' ')
read -r rx6 rec6 < <(xr_curl GET /channels/frag6/stats | xr_json rx_packets recorded_packets |
	paste -sd' ')
xr_stop "$XR_DP_PID" || xr_fail "the dataplane did not exit 0 on SIGTERM"
frags=$(nstat -az IpReasmOKs Ip6ReasmOKs 2>/dev/null | awk '/ReasmOKs/ {s += $2} END {print s + 0}')

check=$("$XR_PY" "$AVRO_READ" "$XR_OUT"/frag4/*.avro "$XR_OUT"/frag6/*.avro | "$XR_PY" -c '
import ipaddress, json, sys
n = int(sys.argv[1])
want = {4: ("192.0.2.2", 42000, "192.0.2.1", 5500, 4000),
        16: ("2001:db8::2", 42006, "2001:db8::1", 5506, 3000)}
got = {4: [], 16: []}
for line in sys.stdin:
    r = json.loads(line)
    if "file" in r:
        continue
    src = bytes.fromhex(r["src_addr"])
    got[len(src)].append(r)
for alen, (src, sport, dst, dport, size) in want.items():
    recs = got[alen]
    if len(recs) != n:
        sys.exit("%d records of %d bytes, want %d" % (len(recs), size, n))
    for i, r in enumerate(recs):
        p = bytes.fromhex(r["payload"])
        exp = bytes((i * 7 + k) % 251 for k in range(size))
        if r["seq"] != i or p != exp:
            sys.exit("record %d: seq %d, %d payload bytes, equal %s" % (i, r["seq"], len(p), p == exp))
        if (str(ipaddress.ip_address(bytes.fromhex(r["src_addr"]))), r["src_port"],
                str(ipaddress.ip_address(bytes.fromhex(r["dst_addr"]))), r["dst_port"]) != (src, sport, dst, dport):
            sys.exit("record %d: addresses or ports wrong: %s" % (i, r))
print("ok")
' $N 2>&1)
xr_check '[ "$check" = ok ]' "python3-avro reads $N whole 4000-byte (IPv4) and $N 3000-byte (IPv6) fragmented datagrams, byte for byte, seq 0..$((N - 1))" "$check"
xr_check '[ "$rx" = $N ] && [ "$rec" = $N ] && [ "$rx6" = $N ] && [ "$rec6" = $N ]' \
	"/stats rx_packets = recorded_packets = $N for each" "$rx $rec $rx6 $rec6"
xr_check '[ "$frags" -ge $((2 * N)) ]' "the kernel reassembled them (IpReasmOKs + Ip6ReasmOKs = $frags)"
xr_soft_verdict
xr_pass "fragmented datagrams recorded whole in socket mode"
