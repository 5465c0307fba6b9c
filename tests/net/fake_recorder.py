#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A stand-in for the dataplane's recorder, to test the test tools without the dataplane.

usage: fake_recorder.py --bind ADDR --port P --out DIR --channel NAME --count N
                        [--idle S] [--rotate N] [--corrupt KIND[@K]] [--ready-file F]

Receives N UDP datagrams on ADDR:P (an ordinary socket) and writes them, in the layout and
schema of xrelay (DIR/NAME/NAME-q0-<UTC start>-<n>.avro, schema xrelay.Packet parsed out of
include/xrelay/avro.h, python3-avro's DataFileWriter), one record per datagram: seq from 0,
ts_ns the receive time, the source and destination of the datagram, its payload. --rotate N
starts a new file every N records. Prints {"received": n, "files": [...]} at the end.

--corrupt breaks the output on purpose, at record K (default 10), to prove that
verify_avro.py notices: flip (a payload byte), gap (seq jumps by 2), drop (record left out,
seq kept consecutive), dup (record written twice), swap (the payloads of records K and K+1 swapped),
srcaddr (wrong source address), dport (wrong destination port), ts (ts_ns 0), seqback (seq
goes back by one), part (the last file left as .part), truncate (the last file cut inside
its last block), name (a file with a foreign name), meta (wrong xrelay.queue metadata).
"""
import argparse
import ipaddress
import json
import os
import re
import socket
import sys
import time

import avro.datafile
import avro.io
import avro.schema

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # <linux/in.h>; Python 3.11 lacks the name
HERE = os.path.dirname(os.path.abspath(__file__))
AVRO_H = os.path.join(HERE, "..", "..", "include", "xrelay", "avro.h")


def packet_schema():
    """The XRELAY_PACKET_SCHEMA string literal of include/xrelay/avro.h."""
    text = open(AVRO_H).read()
    m = re.search(r"#define XRELAY_PACKET_SCHEMA(.*?)\n(?=\S)", text, re.S)
    if not m:
        raise SystemExit("fake_recorder.py: XRELAY_PACKET_SCHEMA not found in " + AVRO_H)
    lits = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
    return avro.schema.parse("".join(lits).encode().decode("unicode_escape"))


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--channel", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("--rotate", type=int, default=0)
    ap.add_argument("--corrupt", default="")
    ap.add_argument("--ready-file")
    a = ap.parse_args(argv[1:])
    kind, _, at = a.corrupt.partition("@")
    at = int(at) if at else 10

    schema = packet_schema()
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s.bind((a.bind, a.port))
    if a.ready_file:
        open(a.ready_file, "w").close()
    s.settimeout(a.idle)
    got = []
    while len(got) < a.count:
        try:
            data, anc, _, src = s.recvmsg(65536, 256)
        except socket.timeout:
            break
        ts = time.time_ns()
        dst = None
        for lvl, typ, val in anc:
            if fam == socket.AF_INET and typ == IP_PKTINFO:
                dst = val[8:12]  # struct in_pktinfo: ifindex, spec_dst, addr
            elif fam == socket.AF_INET6 and typ == socket.IPV6_PKTINFO:
                dst = val[:16]
        got.append({"ts_ns": ts, "src_addr": ipaddress.ip_address(src[0].split("%")[0]).packed,
                    "src_port": src[1], "dst_addr": dst, "dst_port": a.port, "payload": data})
    s.close()

    recs = list(got)
    # Damage a record that carries its whole index (4+ bytes): a short payload's damage is
    # reported in other words, which would make the checks depend on the random position.
    while at + 2 < len(recs) and len(recs[at]["payload"]) < 4:
        at += 1
    if kind == "drop" and at < len(recs):
        del recs[at]
    elif kind == "dup" and at < len(recs):
        recs.insert(at, dict(recs[at]))
    elif kind == "swap" and at + 1 < len(recs):
        recs[at]["payload"], recs[at + 1]["payload"] = recs[at + 1]["payload"], recs[at]["payload"]
    for n, r in enumerate(recs):
        r["seq"] = n + (1 if kind == "gap" and n >= at else 0) - (2 if kind == "seqback" and n == at else 0)
        if n == at:
            if kind == "flip":
                p = bytearray(r["payload"])
                p[len(p) // 2] ^= 0x40
                r["payload"] = bytes(p)
            elif kind == "srcaddr":
                r["src_addr"] = bytes(len(r["src_addr"]))
            elif kind == "dport":
                r["dst_port"] = a.port + 1
            elif kind == "ts":
                r["ts_ns"] = 0

    cdir = os.path.join(a.out, a.channel)
    os.makedirs(cdir, exist_ok=True)
    start = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    per = a.rotate if a.rotate > 0 else max(len(recs), 1)
    files = []
    for fno, k in enumerate(range(0, max(len(recs), 1), per)):
        name = "%s-q0-%s-%d.avro" % (a.channel, start, fno)
        path = os.path.join(cdir, name + ".part")
        w = avro.datafile.DataFileWriter(open(path, "wb"), avro.io.DatumWriter(), schema)
        w.set_meta("xrelay.channel", a.channel.encode())
        w.set_meta("xrelay.queue", b"1" if kind == "meta" else b"0")
        w.set_meta("xrelay.host", socket.gethostname().encode())
        w.set_meta("xrelay.writer", b"fake_recorder.py")
        for m, r in enumerate(recs[k:k + per]):
            w.append({f: r[f] for f in ("seq", "ts_ns", "src_addr", "src_port", "dst_addr",
                                          "dst_port", "payload")})
            if m % 100 == 99:
                w.flush()
        w.close()
        files.append(path)
    for n, path in enumerate(files):
        last = n == len(files) - 1
        if last and kind == "truncate":
            size = os.path.getsize(path)
            os.truncate(path, size - 20)
        if not (last and kind == "part"):
            os.rename(path, path[:-5])
            files[n] = path[:-5]
    if kind == "name":
        open(os.path.join(cdir, "stray.avro"), "wb").close()
    print(json.dumps({"received": len(got), "files": [os.path.basename(f) for f in files]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
