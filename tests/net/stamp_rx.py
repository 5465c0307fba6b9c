#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A subscriber that stamps arrivals, for the replay test and benchmark.

usage: stamp_rx.py --bind ADDR --port P --count N [--timeout S] [--ready FILE] [--out FILE]

Receives datagrams until N have come or S seconds (default 10) pass without one; stamps each
with the kernel's receive time (SO_TIMESTAMPNS, CLOCK_REALTIME). Writes one line a datagram to
FILE (default stdout): "ARRIVAL_NS PAYLOAD_HEX". Touches FILE given by --ready once bound.
"""
import argparse
import socket
import struct
import sys

SO_TIMESTAMPNS = 35


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--ready")
    ap.add_argument("--out")
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind((a.bind, a.port))
    s.settimeout(a.timeout)
    if a.ready:
        open(a.ready, "w").close()
    out = open(a.out, "w") if a.out else sys.stdout
    n = 0
    while n < a.count:
        try:
            data, anc, _, _ = s.recvmsg(65536, 64)
        except socket.timeout:
            break
        ts = 0
        for lvl, typ, d in anc:
            if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, ns = struct.unpack("qq", d[:16])
                ts = sec * 10**9 + ns
        out.write("%d %s\n" % (ts, data.hex()))
        n += 1
    out.flush()


if __name__ == "__main__":
    main()
