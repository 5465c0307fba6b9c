#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The churn scenario's API driver and file checker (tests/reliability/test_churn.sh).

usage: churn.py drive API_PORT OPS SECONDS SLOTS BASE_PORT ADDR IFACE SEED > lifetimes.json
       churn.py check OUT_DIR lifetimes.json SEED SLOTS FIRST_STEP MAX_LEN SRC TIMELINE...

drive: OPS operations on channels, paced evenly over SECONDS (or as fast as they go), each on a random slot s (0..SLOTS-1) whose port is
BASE_PORT + s, address ADDR: a free slot gets a POST of a channel with a name never used before
(c<s>-<k>) and one multicast destination out of IFACE; a taken slot a PATCH of its destinations
(half the time) or a DELETE (its stats read just before). Each request's CLOCK_REALTIME before
and after is kept. Prints one JSON object: {"ops": {"POST": n, ...}, "unexpected": [{"op",
"name", "status", "body"}], "lifetimes": [{"name", "slot", "port", "created": [t0, t1],
"deleted": [t0, t1] or null, "stats": the last stats before the DELETE}], "seconds"}.

check: reads every file of every channel directory in OUT_DIR with python3-avro (both readers,
as tests/net/verify_avro.py), and checks, per lifetime (a directory is one lifetime: names are
never reused):
  - no file is left as .part, every file reads to its end;
  - misfiled: every record's dst_port is the lifetime's port and its payload is an intact
    datagram of that slot's generator (seed SEED + slot, indices from slot x FIRST_STEP: the
    index says which port it was sent to), its ts_ns within the lifetime (from before the POST
    to after the DELETE returned, 2 ms slack for the clocks);
  - no datagram in two files (or twice in one); seq strictly increasing per (channel, queue);
  - complete: every datagram its slot's generator sent (TIMELINE files, one per slot, udpgen's
    --timeline) from 5 ms after the POST returned until 5 ms before the DELETE was sent is in
    the lifetime's files, unless the lifetime's stats counted drops (then the shortfall must
    not exceed them).
Prints {"ok", "lifetimes", "dirs", "files", "records", "misfiled", "duplicates",
"unreadable", "incomplete", "missing", "examples": [...]} and exits 0 when nothing is wrong.
"""
import bisect
import http.client
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "net"))
import verify_avro  # noqa: E402  (tests/net/verify_avro.py: the pattern and the readers)

GROUPS = ["239.45.0.%d" % i for i in range(1, 9)]


def request(conn, method, path, body=None):
    hdrs = {}
    data = None
    if body is not None:
        data = json.dumps(body)
        hdrs["Content-Type"] = ("application/merge-patch+json" if method == "PATCH"
                                else "application/json")
    conn.request(method, path, body=data, headers=hdrs)
    r = conn.getresponse()
    return r.status, r.read().decode("utf-8", "replace")


def drive(port, ops, seconds, slots, base_port, addr, iface, seed):
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    owner = [None] * slots
    serial = [0] * slots
    counts, unexpected, lifetimes = {}, [], []
    start = time.monotonic()

    def dest():
        return [{"addr": rnd.choice(GROUPS), "port": 7800 + rnd.randrange(8), "ttl": 1,
                 "interface": iface}]

    def call(op, name, want, method, path, body=None):
        counts[op] = counts.get(op, 0) + 1
        t0 = time.time_ns()
        status, text = request(conn, method, path, body)
        t1 = time.time_ns()
        if status != want:
            unexpected.append({"op": op, "name": name, "status": status, "body": text[:300]})
        return status, text, t0, t1

    for k in range(ops):
        pause = start + k * seconds / ops - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        s = rnd.randrange(slots)
        lt = owner[s]
        if lt is None:
            serial[s] += 1
            name = "c%d-%d" % (s, serial[s])
            status, _, t0, t1 = call("POST", name, 201, "POST", "/channels",
                                     {"name": name, "port": base_port + s, "addr": addr,
                                      "destinations": dest()})
            if status == 201:
                lt = {"name": name, "slot": s, "port": base_port + s, "created": [t0, t1],
                      "deleted": None, "stats": None}
                lifetimes.append(lt)
                owner[s] = lt
        elif rnd.random() < 0.5:
            call("PATCH", lt["name"], 200, "PATCH", "/channels/" + lt["name"],
                 {"destinations": dest()})
        else:
            status, text, _, _ = call("GET stats", lt["name"], 200, "GET",
                                      "/channels/%s/stats" % lt["name"])
            if status == 200:
                lt["stats"] = json.loads(text)
            status, _, t0, t1 = call("DELETE", lt["name"], 204, "DELETE",
                                     "/channels/" + lt["name"])
            if status == 204:
                lt["deleted"] = [t0, t1]
                owner[s] = None
    print(json.dumps({"ops": counts, "unexpected": unexpected, "lifetimes": lifetimes,
                      "seconds": round(time.monotonic() - start, 3)}))
    return 0


def load_timeline(path):
    """udpgen --timeline: [(t_before, t_after, first_index, count)] in send order."""
    out = []
    with open(path) as f:
        for line in f:
            first, count, tb, ta = (int(x) for x in line.split())
            out.append((tb, ta, first, count))
    return out


def sent_between(tl, t_from, t_to):
    """Indices sent entirely within (t_from, t_to): calls that began after t_from and ended
    before t_to."""
    lo = bisect.bisect_right(tl, (t_from, 1 << 62, 0, 0))
    idx = []
    for tb, ta, first, count in tl[lo:]:
        if tb <= t_from:
            continue
        if ta >= t_to:
            break
        idx.extend(range(first, first + count))
    return idx


def check(out_dir, lifetimes_path, seed, slots, step, max_len, src, timelines):
    with open(lifetimes_path) as f:
        run = json.load(f)
    lts = {lt["name"]: lt for lt in run["lifetimes"]}
    pats = [verify_avro.Pattern(seed + s, 0, max_len) for s in range(slots)]
    tls = [load_timeline(p) for p in timelines]
    src_b = verify_avro.addr_bytes(src)
    res = {"ok": True, "lifetimes": len(lts), "dirs": 0, "files": 0, "records": 0,
           "misfiled": 0, "duplicates": 0, "unreadable": 0, "parts": 0, "incomplete": 0,
           "missing": 0, "examples": []}
    seen = {}  # (slot, index) -> channel
    have = {}  # channel -> its datagram indices

    def bad(kind, text):
        res[kind] += 1
        res["ok"] = False
        if len(res["examples"]) < 12:
            res["examples"].append("%s: %s" % (kind, text))

    for d in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, d)
        if not os.path.isdir(path):
            continue
        res["dirs"] += 1
        lt = lts.get(d)
        if lt is None:
            bad("misfiled", "%s: a directory of no channel the test made" % d)
            continue
        t_lo = lt["created"][0] - 2000000
        t_hi = (lt["deleted"][1] if lt["deleted"] else 1 << 62) + 2000000
        pat, s = pats[lt["slot"]], lt["slot"]
        got = have.setdefault(d, set())
        shards = {}
        for name in sorted(os.listdir(path)):
            if name.endswith(".part"):
                bad("parts", "%s/%s left as .part" % (d, name))
                continue
            m = verify_avro.NAME_RE.match(name)
            if not m or m.group("ch") != d:
                bad("misfiled", "%s/%s: not a file name of the channel" % (d, name))
                continue
            shards.setdefault(int(m.group("q")), []).append(
                (m.group("ts"), int(m.group("n")), name))
        for q, files in sorted(shards.items()):
            prev_seq = None
            for _, _, name in sorted(files):
                try:
                    _, meta, _, records = verify_avro.read_avro(os.path.join(path, name))
                except verify_avro.Fail as e:
                    bad("unreadable", str(e))
                    continue
                res["files"] += 1
                res["records"] += len(records)
                if meta.get("xrelay.channel") != d:
                    bad("misfiled", "%s/%s: metadata names channel %r"
                        % (d, name, meta.get("xrelay.channel")))
                for n, r in enumerate(records):
                    where = "%s/%s record %d" % (d, name, n)
                    p = r["payload"]
                    i = int.from_bytes(p[:4], "big") if len(p) >= 4 else None
                    if r["dst_port"] != lt["port"] or r["src_addr"] != src_b:
                        bad("misfiled", "%s: to port %d from %s, the channel's port is %d"
                            % (where, r["dst_port"], r["src_addr"].hex(), lt["port"]))
                    elif i is not None and (i // step != s or p != pat.payload(i)):
                        bad("misfiled", "%s: datagram %d (payload %s) is not one sent to "
                            "port %d" % (where, i, p[:8].hex(), lt["port"]))
                    elif not t_lo <= r["ts_ns"] <= t_hi:
                        bad("misfiled", "%s: received at %d, %+.3f ms outside the lifetime "
                            "%d..%s" % (where, r["ts_ns"],
                                        (r["ts_ns"] - (t_lo if r["ts_ns"] < t_lo else t_hi))
                                        / 1e6, t_lo, "now" if not lt["deleted"] else t_hi))
                    if prev_seq is not None and r["seq"] <= prev_seq:
                        bad("duplicates", "%s: seq %d after %d" % (where, r["seq"], prev_seq))
                    prev_seq = r["seq"]
                    if i is None:
                        continue
                    if (s, i) in seen:
                        bad("duplicates", "%s: datagram %d of port %d also in %s"
                            % (where, i, lt["port"], seen[(s, i)]))
                    seen[(s, i)] = d
                    got.add(i)
    # Completeness, per lifetime.
    for lt in run["lifetimes"]:
        t_from = lt["created"][1] + 5000000
        t_to = lt["deleted"][0] - 5000000 if lt["deleted"] else 1 << 62
        want = [i for i in sent_between(tls[lt["slot"]], t_from, t_to)
                if pats[lt["slot"]].length(i) >= 4]
        got = have.get(lt["name"], set())
        miss = [i for i in want if i not in got]
        counted = (lt["stats"] or {}).get("dropped_packets", 0)
        if len(miss) > counted:
            res["missing"] += len(miss)
            bad("incomplete", "%s: %d of the %d datagrams sent well within its lifetime are not "
                "in its files (%d drops counted before the DELETE), e.g. %s"
                % (lt["name"], len(miss), len(want), counted, miss[:4]))
    print(json.dumps(res))
    return 0 if res["ok"] else 1


def main(argv):
    if len(argv) >= 10 and argv[1] == "drive":
        return drive(int(argv[2]), int(argv[3]), float(argv[4]), int(argv[5]), int(argv[6]),
                     argv[7], argv[8], int(argv[9]))
    if len(argv) >= 10 and argv[1] == "check":
        return check(argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]), int(argv[7]),
                     argv[8], argv[9:])
    sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
