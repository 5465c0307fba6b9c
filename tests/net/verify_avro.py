#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check a channel's Avro files against the traffic udpgen sent (tests/net/pattern.h).

usage: verify_avro.py --dir OUT/CHANNEL --count N|any --seed S --src ADDR --dst ADDR --dport P
                      [--sport P] [--first I] [--min-len A] [--max-len B] [--t0 NS] [--t1 NS]
                      [--queues Q] [--in-order] [--lossy] [--records N] [--allow-part]
                      [--keep-going] [--jobs J] [--complete-from I]

Reads every <channel>-q<queue>-<YYYYmmddTHHMMSSZ>-<n>.avro in --dir with tests/util/avro_read.py
(python3-avro's DataFileReader, plus its independent block walk: counts, sizes, sync markers)
and checks, stopping at the first kind of failure:

  1. no .part file is left (unless --allow-part: then they are ignored), and every file name
     has that form with the directory's name as channel;
  2. every file is readable to its last record; its schema is xrelay.Packet (7 fields, in order)
     and its metadata names the channel and the queue of its file name;
  3. every record: src_addr/dst_addr are the 4 or 16 bytes of --src/--dst, dst_port is --dport
     (src_port is --sport when given), ts_ns is in [--t0, --t1] when given;
  4. per queue ("shard"), over its files in (start time, n) order: seq is consecutive from the
     first record's seq (--lossy: strictly increasing, gaps counted), ts_ns never decreases,
     and with --in-order (the default when --queues is 1) the datagram indices increase;
  5. every payload is byte for byte datagram i of the pattern for the index i it carries
     (payloads of 0-3 bytes carry no whole index: they are matched as a multiset against the
     short datagrams the range should hold), none twice;
  6. the datagrams are exactly first..first+N-1 (--count N), or exactly one contiguous range
     lo..hi, whatever it is (--count any); with --lossy only a subset of that range, the
     missing ones counted; --records N: exactly N records in all; queue numbers < --queues.

With --keep-going a file that is not readable (2.) does not stop the check: it is listed in
the summary's "unreadable" ([{"file", "error"}]), the other files are checked as above, and
the run fails at the end with the whole summary printed ("ok": false and "error").
--jobs J reads the files in J processes (the checks stay in file order). --complete-from I
(with --lossy): every datagram of 4 bytes or more from index I on must be there.

On success prints a JSON summary on stdout and exits 0:
  {"ok": true, "files", "records", "first_index", "last_index", "missing", "short", "ts_min",
   "ts_max", "codecs", "unreadable", "shards": {QUEUE: {"files", "records", "first_seq",
   "last_seq", "seq_gaps", "gaps_at", "first_index", "last_index"}}}
("gaps_at": the first 32 gaps with --lossy, each [file, record number, seq before, seq].)
On failure prints {"ok": false, "error": ...} and "verify_avro.py: FAIL: ..." on stderr, exit 1.
Usage errors exit 2.
"""
import argparse
import glob
import ipaddress
import json
import multiprocessing
import os
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
import avro_read  # noqa: E402  (tests/util/avro_read.py)

import avro.datafile  # noqa: E402
import avro.io  # noqa: E402
import avro.schema  # noqa: E402

# --- the pattern: a line-for-line copy of tests/net/pattern.h -------------------------------
M64 = (1 << 64) - 1
TAPE_LEN = 1 << 17
TAPE_SALT = 0xA5A5A5A5A5A5A5A5


def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


class Pattern:
    """Datagram i of the run with this seed and length bounds (pattern.h)."""

    def __init__(self, seed, min_len, max_len):
        self.mseed = mix(seed & M64)
        self.min_len = min_len
        self.span = max_len - min_len + 1
        salted = (seed ^ TAPE_SALT) & M64
        words = [mix((salted + j) & M64) for j in range(TAPE_LEN // 8)]
        self.tape = struct.pack("<%dQ" % len(words), *words)

    def key(self, i):
        return mix(self.mseed ^ i)

    def length(self, i):
        return self.min_len + self.key(i) % self.span

    def payload(self, i):
        k = self.key(i)
        n = self.min_len + k % self.span
        off = (k >> 32) & 0xFFFF
        head = i.to_bytes(4, "big")[:n]
        return head + self.tape[off:off + n - 4] if n > 4 else head


# --- checking --------------------------------------------------------------------------------
NAME_RE = re.compile(r"^(?P<ch>[A-Za-z0-9_-]{1,63})-q(?P<q>\d+)-(?P<ts>\d{8}T\d{6}Z)-(?P<n>\d+)\.avro$")
FIELDS = ["seq", "ts_ns", "src_addr", "src_port", "dst_addr", "dst_port", "payload"]


class Fail(Exception):
    pass


def addr_bytes(text):
    try:
        return ipaddress.ip_address(text).packed
    except ValueError:
        raise SystemExit("verify_avro.py: %r is not an IPv4 or IPv6 address" % text)


def read_avro(path):
    """(codec, meta, schema, records) of one file; Fail when it is not whole and readable."""
    try:
        with open(path, "rb") as f:
            rdr = avro.datafile.DataFileReader(f, avro.io.DatumReader())
            header_end = f.tell()
            schema_text = rdr.schema
            meta = {k: avro_read.meta_text(v) for k, v in rdr.meta.items()}
            codec, sync = rdr.codec, rdr.sync_marker
            records = list(rdr)
            schema = avro.schema.parse(schema_text)
            _, walked = avro_read.walk_blocks(f, header_end, sync, codec, schema)
    except avro_read.CheckError as e:
        raise Fail("%s: not readable to the end: %s" % (path, e))
    except Exception as e:  # noqa: BLE001 - any reader failure is a broken file
        raise Fail("%s: not readable: %s: %s" % (path, type(e).__name__, e))
    if walked != records:
        raise Fail("%s: the block walk found %d records, DataFileReader %d (or they differ)"
                   % (path, len(walked), len(records)))
    return codec, meta, schema, records


def read_plain(path):
    """read_avro() for a pool: (codec, meta, schema name, field names, records), or a Fail."""
    try:
        codec, meta, schema, records = read_avro(path)
    except Fail as e:
        return e
    return (codec, meta, getattr(schema, "fullname", None),
            [f.name for f in getattr(schema, "fields", [])], records)


def read_all(paths, jobs):
    """read_plain() of each path, in order; with jobs > 1 read ahead by that many processes."""
    if jobs <= 1 or len(paths) < 2:
        for p in paths:
            yield read_plain(p)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(read_plain, paths)


def check(a):
    pat = Pattern(a.seed, a.min_len, a.max_len)
    src, dst = addr_bytes(a.src), addr_bytes(a.dst)
    channel = os.path.basename(os.path.normpath(a.dir))
    if not os.path.isdir(a.dir):
        raise Fail("%s: no such directory (no file was ever opened for the channel?)" % a.dir)

    # 1. names, leftovers
    parts = sorted(glob.glob(os.path.join(a.dir, "*.part")))
    if parts and not a.allow_part:
        raise Fail("%d .part file(s) left open/unrenamed: %s"
                   % (len(parts), ", ".join(os.path.basename(p) for p in parts)))
    shards = {}
    for name in sorted(os.listdir(a.dir)):
        if name.endswith(".part"):
            continue
        m = NAME_RE.match(name)
        if not m or m.group("ch") != channel:
            raise Fail("%s: unexpected file name (want %s-q<queue>-<YYYYmmddTHHMMSSZ>-<n>.avro)"
                       % (name, channel))
        q = int(m.group("q"))
        if a.queues is not None and q >= a.queues:
            raise Fail("%s: queue %d, but only %d queue(s) expected" % (name, q, a.queues))
        shards.setdefault(q, []).append((m.group("ts"), int(m.group("n")), name))
    if not shards:
        raise Fail("%s: no .avro file" % a.dir)
    in_order = a.in_order if a.in_order is not None else a.queues == 1

    summary = {"ok": True, "dir": a.dir, "files": 0, "records": 0, "codecs": [], "shards": {},
               "unreadable": []}
    seen = set()
    shorts = {}  # (len, bytes) -> count received
    ts_min = ts_max = None
    for q in sorted(shards):
        files = sorted(shards[q])
        sh = {"files": len(files), "records": 0, "first_seq": None, "last_seq": None,
              "seq_gaps": 0, "gaps_at": [], "first_index": None, "last_index": None}
        prev_seq = prev_ts = prev_idx = None
        reads = read_all([os.path.join(a.dir, f[2]) for f in files], a.jobs)
        for (_, _, name), got in zip(files, reads):
            # 2. readable, schema, metadata
            if isinstance(got, Fail):
                if not a.keep_going:
                    raise got
                summary["unreadable"].append({"file": name, "error": str(got)})
                continue
            codec, meta, schema_name, field_names, records = got
            summary["files"] += 1
            if codec not in summary["codecs"]:
                summary["codecs"].append(codec)
            if schema_name != "xrelay.Packet" or field_names != FIELDS:
                raise Fail("%s: schema is not xrelay.Packet with fields %s" % (name, FIELDS))
            if meta.get("xrelay.channel") != channel:
                raise Fail("%s: metadata xrelay.channel is %r, not %r"
                           % (name, meta.get("xrelay.channel"), channel))
            if meta.get("xrelay.queue") != str(q):
                raise Fail("%s: metadata xrelay.queue is %r, not %r"
                           % (name, meta.get("xrelay.queue"), str(q)))
            for n, r in enumerate(records):
                where = "%s record %d (seq %s)" % (name, n, r["seq"])
                # 3. addresses, ports, time
                if r["src_addr"] != src:
                    raise Fail("%s: src_addr %s, want %s" % (where, r["src_addr"].hex(), src.hex()))
                if r["dst_addr"] != dst:
                    raise Fail("%s: dst_addr %s, want %s" % (where, r["dst_addr"].hex(), dst.hex()))
                if r["dst_port"] != a.dport:
                    raise Fail("%s: dst_port %d, want %d" % (where, r["dst_port"], a.dport))
                if a.sport is not None and r["src_port"] != a.sport:
                    raise Fail("%s: src_port %d, want %d" % (where, r["src_port"], a.sport))
                ts = r["ts_ns"]
                if (a.t0 is not None and ts < a.t0) or (a.t1 is not None and ts > a.t1):
                    raise Fail("%s: ts_ns %d outside [%s, %s] (%+.6f s from t0)"
                               % (where, ts, a.t0, a.t1, (ts - (a.t0 or 0)) / 1e9))
                ts_min = ts if ts_min is None else min(ts_min, ts)
                ts_max = ts if ts_max is None else max(ts_max, ts)
                # 4. seq, time order
                seq = r["seq"]
                if prev_seq is None:
                    sh["first_seq"] = seq
                elif seq != prev_seq + 1:
                    if a.lossy and seq > prev_seq:
                        sh["seq_gaps"] += seq - prev_seq - 1
                        if len(sh["gaps_at"]) < 32:
                            sh["gaps_at"].append([name, n, prev_seq, seq])
                    else:
                        raise Fail("%s: queue %d seq %d follows seq %d (%s)"
                                   % (where, q, seq, prev_seq,
                                      "gap of %d" % (seq - prev_seq - 1) if seq > prev_seq
                                      else "not increasing"))
                if prev_ts is not None and ts < prev_ts:
                    raise Fail("%s: ts_ns %d is %d ns before the previous record's in queue %d"
                               % (where, ts, prev_ts - ts, q))
                prev_seq, prev_ts = seq, ts
                # 5. payload
                p = r["payload"]
                if len(p) < 4:
                    shorts[(len(p), p)] = shorts.get((len(p), p), 0) + 1
                    continue
                i = int.from_bytes(p[:4], "big")
                want = pat.payload(i)
                if p != want:
                    if len(p) != len(want):
                        raise Fail("%s: payload of datagram %d is %d bytes, the pattern's %d"
                                   % (where, i, len(p), len(want)))
                    at = next(k for k in range(len(p)) if p[k] != want[k])
                    raise Fail("%s: payload of datagram %d differs from byte %d on (%s, want %s)"
                               % (where, i, at, p[at:at + 8].hex(), want[at:at + 8].hex()))
                if i in seen:
                    raise Fail("%s: datagram %d recorded twice" % (where, i))
                seen.add(i)
                if in_order and prev_idx is not None and i < prev_idx:
                    raise Fail("%s: datagram %d after datagram %d in queue %d (out of order)"
                               % (where, i, prev_idx, q))
                prev_idx = i
                if sh["first_index"] is None:
                    sh["first_index"] = i
                sh["last_index"] = i
            sh["records"] += len(records)
            sh["last_seq"] = prev_seq
        summary["records"] += sh["records"]
        summary["shards"][str(q)] = sh

    # 6. the set of datagrams
    nshort = sum(shorts.values())
    if a.count == "any":
        if not seen:
            raise Fail("no datagram of 4 bytes or more: cannot tell the range (%d short ones)"
                       % nshort)
        lo, hi = min(seen), max(seen)
        left = dict(shorts)
        # Short datagrams just outside [lo, hi] belong to the range when they are there.
        while lo > a.first and pat.length(lo - 1) < 4 and left.get(_short(pat, lo - 1), 0):
            lo -= 1
            left[_short(pat, lo)] -= 1
        while pat.length(hi + 1) < 4 and left.get(_short(pat, hi + 1), 0):
            hi += 1
            left[_short(pat, hi)] -= 1
    else:
        lo, hi = a.first, a.first + int(a.count) - 1
    missing, missing_list = 0, []
    want_short = {}
    for i in range(lo, hi + 1):
        if pat.length(i) < 4:
            k = _short(pat, i)
            want_short[k] = want_short.get(k, 0) + 1
        elif i not in seen:
            missing += 1
            if len(missing_list) < 8:
                missing_list.append(i)
    extra = sorted(i for i in seen if i < lo or i > hi)
    if extra:
        raise Fail("%d datagram(s) outside %d..%d recorded, e.g. %s"
                   % (len(extra), lo, hi, extra[:8]))
    for k, n in shorts.items():
        if n > want_short.get(k, 0):
            raise Fail("%d short datagram(s) of %d byte(s) %r recorded, at most %d expected"
                       % (n, k[0], k[1].hex(), want_short.get(k, 0)))
    missing += sum(want_short.values()) - nshort
    if a.complete_from is not None:
        lost = [i for i in range(max(lo, a.complete_from), hi + 1)
                if pat.length(i) >= 4 and i not in seen]
        if lost:
            raise Fail("%d of the datagrams from %d on are not in the files (--complete-from), "
                       "e.g. %s" % (len(lost), a.complete_from, lost[:8]))
    if missing and not a.lossy:
        raise Fail("%d of the %d datagrams %d..%d are not in the files%s"
                   % (missing, hi - lo + 1, lo, hi,
                      ", e.g. %s" % missing_list if missing_list else " (short ones)"))
    if a.records is not None and summary["records"] != a.records:
        raise Fail("%d records in the files, %d expected" % (summary["records"], a.records))
    summary.update({"first_index": lo, "last_index": hi, "missing": missing, "short": nshort,
                    "ts_min": ts_min, "ts_max": ts_max})
    if summary["unreadable"]:
        summary.update({"ok": False, "error": "%d file(s) not readable to the end, e.g. %s"
                        % (len(summary["unreadable"]), summary["unreadable"][0]["error"])})
    return summary


def _short(pat, i):
    n = pat.length(i)
    return (n, i.to_bytes(4, "big")[:n])


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--count", required=True, help="N, or 'any'")
    ap.add_argument("--seed", required=True, type=lambda s: int(s, 0))
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--dport", required=True, type=int)
    ap.add_argument("--sport", type=int)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--min-len", type=int, default=0)
    ap.add_argument("--max-len", type=int)
    ap.add_argument("--t0", type=int)
    ap.add_argument("--t1", type=int)
    ap.add_argument("--queues", type=int)
    ap.add_argument("--in-order", action="store_true", default=None)
    ap.add_argument("--lossy", action="store_true")
    ap.add_argument("--records", type=int)
    ap.add_argument("--allow-part", action="store_true")
    ap.add_argument("--keep-going", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--complete-from", type=int)
    a = ap.parse_args(argv[1:])
    if a.count != "any" and not a.count.isdigit():
        ap.error("--count: a number or 'any'")
    if a.max_len is None:
        a.max_len = 1472 if len(addr_bytes(a.dst)) == 4 else 1452
    if not 0 <= a.min_len <= a.max_len <= 65535:
        ap.error("want 0 <= --min-len <= --max-len <= 65535")
    try:
        summary = check(a)
    except Fail as e:
        print(json.dumps({"ok": False, "error": str(e)}))
        sys.stderr.write("verify_avro.py: FAIL: %s\n" % e)
        return 1
    print(json.dumps(summary))
    if not summary["ok"]:
        sys.stderr.write("verify_avro.py: FAIL: %s\n" % summary["error"])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
