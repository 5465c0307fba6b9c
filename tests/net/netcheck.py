#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Small network checks for the end-to-end tests, so they need no ping or netcat.

usage: netcheck.py ping ADDR [--count N] [--timeout S]
       netcheck.py tcp-serve --bind ADDR --port P [--ready-file F] [--timeout S]
       netcheck.py tcp-send --dst ADDR --port P --bytes N [--timeout S]

ping: ICMP (IPv4) or ICMPv6 echo requests over a raw socket (root), one at a time; prints
  {"sent": N, "received": N} and exits 0 when every request was answered.
tcp-serve: accepts one connection, reads until the peer shuts its side, answers the SHA-256 of
  what it read, exits 0.
tcp-send: connects, sends N pseudo-random bytes, shuts down its side, reads the answer and
  exits 0 when it is the SHA-256 of what it sent; prints {"bytes": N, "ok": bool}.
"""
import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(a):
    v6 = ":" in a.addr
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    got = 0
    for seq in range(a.count):
        body = b"xrelay-netcheck-%d" % seq
        typ = 128 if v6 else 8
        hdr = struct.pack("!BBHHH", typ, 0, 0, ident, seq)
        if not v6:  # the kernel fills in the ICMPv6 checksum, not the ICMP one
            hdr = struct.pack("!BBHHH", typ, 0, csum(hdr + body), ident, seq)
        s.sendto(hdr + body, (a.addr, 0))
        end = time.monotonic() + a.timeout
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
            if not r:
                break
            pkt = s.recv(65536)
            if not v6:
                pkt = pkt[(pkt[0] & 0xF) * 4:]
            if len(pkt) < 8:
                continue
            t, _, _, i, q = struct.unpack("!BBHHH", pkt[:8])
            if t == (129 if v6 else 0) and i == ident and q == seq and pkt[8:] == body:
                got += 1
                break
    print(json.dumps({"sent": a.count, "received": got}))
    return 0 if got == a.count else 1


def tcp_serve(a):
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.bind, a.port))
    srv.listen(1)
    if a.ready_file:
        open(a.ready_file, "w").close()
    srv.settimeout(a.timeout)
    c, _ = srv.accept()
    c.settimeout(a.timeout)
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.sendall(h.digest())
    c.close()
    print(json.dumps({"bytes": n}))
    return 0


def tcp_send(a):
    data = b"".join(hashlib.sha256(b"%d" % k).digest() for k in range(a.bytes // 32 + 1))[:a.bytes]
    c = socket.create_connection((a.dst, a.port), timeout=a.timeout)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    ans = b""
    while len(ans) < 32:
        b = c.recv(32 - len(ans))
        if not b:
            break
        ans += b
    ok = ans == hashlib.sha256(data).digest()
    print(json.dumps({"bytes": a.bytes, "ok": ok}))
    return 0 if ok else 1


def main(argv):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ping")
    p.add_argument("addr")
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--timeout", type=float, default=2.0)
    p = sub.add_parser("tcp-serve")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ready-file")
    p.add_argument("--timeout", type=float, default=20.0)
    p = sub.add_parser("tcp-send")
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args(argv[1:])
    try:
        return {"ping": ping, "tcp-serve": tcp_serve, "tcp-send": tcp_send}[a.cmd](a)
    except OSError as e:
        print(json.dumps({"error": str(e)}))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
