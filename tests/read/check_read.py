#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Independent checks of xrelay-read's output, for tests/read/test_read_*.sh.

usage:
  check_read.py jsonl OUT.jsonl [--from NS] [--to NS] [--hex] PATH...
  check_read.py pcap OUT.pcap|OUT.pcapng [--from NS] [--to NS] PATH...
  check_read.py blocks FILE          one line a block: OFFSET COUNT SIZE END (own walker)
  check_read.py evict PATH...        fsync, then drop the files' pages from the page cache

PATH: Avro files or folders. The records are read with Debian's python3-avro
(avro.datafile.DataFileReader), channel and queue from each file's metadata, and filtered to
[from, to]. jsonl: every line of OUT must be one of these records, field for field (addresses
as text, payload base64 or hex), each exactly once, in non-decreasing ts_ns. pcap: tshark
reads OUT with UDP and IP checksum validation on; every frame must carry one record: the
timestamp to the nanosecond, addresses, ports, payload byte for byte, both checksums good.
Prints one line "ok: ..." and exits 0, or "check_read.py: what differed" and exits 1.
"""
import base64
import ipaddress
import json
import os
import subprocess
import sys

import avro.datafile
import avro.io


def fail(msg):
    print("check_read.py: " + msg)
    sys.exit(1)


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += [os.path.join(p, n) for n in sorted(os.listdir(p))
                    if n.endswith(".avro") or n.endswith(".avro.part")]
        else:
            out.append(p)
    return out


def records(paths, t0, t1):
    recs = []
    for f in files_of(paths):
        with open(f, "rb") as fh:
            rd = avro.datafile.DataFileReader(fh, avro.io.DatumReader())
            ch = rd.get_meta("xrelay.channel").decode()
            q = int(rd.get_meta("xrelay.queue").decode())
            for r in rd:
                if t0 <= r["ts_ns"] <= t1:
                    recs.append(dict(r, channel=ch, queue=q))
            rd.close()
    return recs


def key(r):
    return (r["channel"], r["queue"], r["seq"], r["ts_ns"])


def text_addr(b):
    return str(ipaddress.ip_address(bytes(b)))


def check_jsonl(out, paths, t0, t1, hexp):
    want = {key(r): r for r in records(paths, t0, t1)}
    seen, last = 0, None
    with open(out) as fh:
        for n, line in enumerate(fh, 1):
            j = json.loads(line)
            k = key(j)
            r = want.pop(k, None)
            if r is None:
                fail("line %d: no such record in the files (or twice): %s" % (n, line[:200]))
            exp = {"channel": r["channel"], "queue": r["queue"], "seq": r["seq"],
                   "ts_ns": r["ts_ns"], "src_addr": text_addr(r["src_addr"]),
                   "src_port": r["src_port"], "dst_addr": text_addr(r["dst_addr"]),
                   "dst_port": r["dst_port"],
                   "payload": r["payload"].hex() if hexp
                   else base64.b64encode(r["payload"]).decode()}
            if j != exp:
                diff = [f for f in exp if j.get(f) != exp[f]] + [f for f in j if f not in exp]
                fail("line %d: fields %s differ from python3-avro's record" % (n, diff))
            if last is not None and j["ts_ns"] < last:
                fail("line %d: ts_ns goes back (%d after %d): not merged by time"
                     % (n, j["ts_ns"], last))
            last = j["ts_ns"]
            seen += 1
    if want:
        fail("%d record(s) of the window missing from the output, e.g. %s"
             % (len(want), sorted(want)[0]))
    print("ok: %d records, every field equal to python3-avro's" % seen)


def check_pcap(out, paths, t0, t1):
    recs = sorted(records(paths, t0, t1), key=lambda r: (r["ts_ns"], r["queue"]))
    fields = ["frame.time_epoch", "ip.src", "ipv6.src", "udp.srcport", "ip.dst", "ipv6.dst",
              "udp.dstport", "udp.checksum.status", "ip.checksum.status", "udp.length",
              "data.data"]
    cmd = ["tshark", "-n", "-r", out, "-o", "udp.check_checksum:TRUE",
           "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=|"]
    ports = {r["dst_port"] for r in recs} | {r["src_port"] for r in recs}
    for p in sorted(ports):
        cmd += ["-d", "udp.port==%d,data" % p]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        fail("tshark failed: " + res.stderr.strip()[:300])
    lines = res.stdout.splitlines()
    if len(lines) != len(recs):
        fail("tshark reads %d frames, the window holds %d records" % (len(lines), len(recs)))
    for n, (line, r) in enumerate(zip(lines, recs), 1):
        v = dict(zip(fields, line.split("|")))
        sec, _, frac = v["frame.time_epoch"].partition(".")
        ts = int(sec) * 10**9 + int((frac + "000000000")[:9])
        src = v["ip.src"] or v["ipv6.src"]
        dst = v["ip.dst"] or v["ipv6.dst"]
        payload = bytes.fromhex(v["data.data"].replace(":", ""))
        want_src, want_dst = text_addr(r["src_addr"]), text_addr(r["dst_addr"])
        got = (ts, src, int(v["udp.srcport"]), dst, int(v["udp.dstport"]), payload,
               int(v["udp.length"]))
        want = (r["ts_ns"], want_src, r["src_port"], want_dst, r["dst_port"], r["payload"],
                8 + len(r["payload"]))
        if got != want:
            names = ["ts_ns", "src", "sport", "dst", "dport", "payload", "udp.length"]
            fail("frame %d: %s differ from record seq %d of %s q%d"
                 % (n, [names[i] for i in range(7) if got[i] != want[i]], r["seq"],
                    r["channel"], r["queue"]))
        if v["udp.checksum.status"] != "1" or (v["ip.src"] and v["ip.checksum.status"] != "1"):
            fail("frame %d: checksum status udp %s ip %s (1 = good)"
                 % (n, v["udp.checksum.status"], v["ip.checksum.status"]))
    print("ok: tshark reads %d frames: times to the ns, addresses, ports, payloads equal, "
          "checksums good" % len(lines))


def varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return (v >> 1) ^ -(v & 1), i


def blocks(path):
    with open(path, "rb") as fh:
        b = fh.read()
    assert b[:4] == b"Obj\x01"
    i = 4
    while True:
        n, i = varint(b, i)
        if n == 0:
            break
        if n < 0:
            n = -n
            _, i = varint(b, i)
        for _ in range(2 * n):
            ln, i = varint(b, i)
            i += ln
    sync = b[i:i + 16]
    i += 16
    while i < len(b):
        off = i
        cnt, i = varint(b, i)
        size, i = varint(b, i)
        end = i + size + 16
        print(off, cnt, size, end, "sync-ok" if b[end - 16:end] == sync else "sync-bad")
        i = end


def evict(paths):
    for f in files_of(paths):
        fd = os.open(f, os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)


def main():
    a = sys.argv[1:]
    if not a:
        fail("usage: see the file's header")
    cmd, a = a[0], a[1:]
    if cmd == "blocks":
        return blocks(a[0])
    if cmd == "evict":
        return evict(a)
    out, a = a[0], a[1:]
    t0, t1, hexp, paths = -2**63, 2**63 - 1, False, []
    while a:
        x = a.pop(0)
        if x == "--from":
            t0 = int(a.pop(0))
        elif x == "--to":
            t1 = int(a.pop(0))
        elif x == "--hex":
            hexp = True
        else:
            paths.append(x)
    if cmd == "jsonl":
        check_jsonl(out, paths, t0, t1, hexp)
    elif cmd == "pcap":
        check_pcap(out, paths, t0, t1)
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
