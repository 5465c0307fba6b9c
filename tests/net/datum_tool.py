#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Datum channels' test traffic: market-data-like datums, encoded by python3-avro.

usage:
  datum_tool.py schema                 print the market-data schema (JSON)
  datum_tool.py nbad                   print how many broken datums send sends to each port
  datum_tool.py send --dst ADDR --port P [--port P ...] --count N --seed S --out FILE
                     [--confluent-port P --schema-id ID]
      Send N good datums and broken ones of every class the validator names to each port (the
      same sequence to each), paced; a --confluent-port gets them with the 5-byte prefix, plus
      datums whose prefix names another schema id. FILE gets what was sent, as JSON:
      {"good": [record as avro_read.py prints it, ...], "good_hex": [...],
       "bad": {class: [payload hex, ...]}, "confluent": {"good_hex": [...], "bad": {...}}}.
  datum_tool.py recv --group G --port P --ifaddr A --count N --timeout S --out FILE
      Join G, collect N datagrams (or until S seconds pass); FILE gets their payloads as hex.
"""
import argparse
import decimal
import io
import json
import random
import socket
import struct
import sys
import time

import avro.io
import avro.schema

SCHEMA = {
    "type": "record", "name": "Quote", "namespace": "md", "fields": [
        {"name": "seq", "type": "long"},
        {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BID", "ASK"]}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12,
                                   "scale": 4}},
        {"name": "symbol", "type": "string"},
        {"name": "venue", "type": ["null", "string"], "default": None},
        {"name": "levels", "type": {"type": "array", "items": {
            "type": "record", "name": "Level", "fields": [
                {"name": "px", "type": "long"}, {"name": "qty", "type": "int"}]}}},
    ]}


def encode(schema, rec):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(rec, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def record(i, rnd):
    return {
        "seq": i * 1000003,
        "side": rnd.choice(["BID", "ASK"]),
        "price": decimal.Decimal(rnd.randrange(-10**8, 10**8)).scaleb(-4),
        "symbol": rnd.choice(["ABC", "XYZW", "Ünï", "Q" * 40]),
        "venue": rnd.choice([None, "XNYS", "XLON"]),
        "levels": [{"px": rnd.randrange(-2**62, 2**62), "qty": rnd.randrange(-2**31, 2**31)}
                   for _ in range(rnd.randrange(0, 5))],
    }


def as_printed(rec):
    """A record as avro_read.py prints it (decimals as text)."""
    out = dict(rec)
    out["price"] = str(rec["price"])
    return out


def broken(schema):
    """Datums broken in each way the validator classifies, as {class: [bytes, ...]}."""
    base = {"seq": 7, "side": "BID", "price": decimal.Decimal("1.0000"), "symbol": "AB", "venue": "X",
            "levels": [{"px": 1, "qty": 2}]}
    good = encode(schema, base)
    # seq 7 (1 byte), side (1), price: len 2 + 2 bytes (scale 4: 10000 = 0x2710),
    # symbol: len 1 + 2, venue: branch 1, len 1 + 1 ...
    assert good[:3] == b"\x0e\x00\x04", good.hex()
    sym = 1 + 1 + 1 + 2
    venue = sym + 1 + 2
    return {
        "truncated": [good[:-1], good[:4]],
        "trailing_bytes": [good + b"\x00"],
        "bad_enum": [good[:1] + b"\x04" + good[2:]],
        "bad_union": [good[:venue] + b"\x04" + good[venue + 1:]],
        "bad_length": [good[:sym] + b"\x03" + good[sym + 1:]],
        "bad_varint": [b"\xff" * 10 + b"\x01" + good[1:]],
        "bad_value": [good[:sym + 1] + b"\xff" + good[sym + 2:]],
    }


def all_broken(schema):
    bad = {}
    for _ in range(3):
        for k, v in broken(schema).items():
            bad.setdefault(k, []).extend(v)
    return bad


def send(a):
    schema = avro.schema.parse(json.dumps(SCHEMA))
    rnd = random.Random(a.seed)
    goods = [record(i, rnd) for i in range(a.count)]
    good_bytes = [encode(schema, r) for r in goods]
    bad = all_broken(schema)
    stream = [b for b in good_bytes] + [b for v in bad.values() for b in v]
    rnd.shuffle(stream)
    prefix = b"\x00" + struct.pack(">I", a.schema_id)
    wrong = b"\x00" + struct.pack(">I", a.schema_id + 1)
    cf_bad = {k: [prefix + b for b in v] for k, v in bad.items()}
    cf_bad["bad_prefix"] = [wrong + good_bytes[0], good_bytes[1], b"\x01"]
    cf_stream = [prefix + b for b in good_bytes] + [b for v in cf_bad.values() for b in v]
    rnd.shuffle(cf_stream)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n, b in enumerate(stream):
        for p in a.port:
            s.sendto(b, (a.dst, p))
        if n % 50 == 49:
            time.sleep(0.002)
    if a.confluent_port:
        for n, b in enumerate(cf_stream):
            s.sendto(b, (a.dst, a.confluent_port))
            if n % 50 == 49:
                time.sleep(0.002)
    out = {
        "good": [as_printed(r) for r in goods],
        "good_hex": [b.hex() for b in good_bytes],
        "bad": {k: [b.hex() for b in v] for k, v in bad.items()},
        "confluent": {"good_hex": [(prefix + b).hex() for b in good_bytes],
                      "bad": {k: [b.hex() for b in v] for k, v in cf_bad.items()}},
    }
    with open(a.out, "w") as f:
        json.dump(out, f)


def recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((a.group, a.port))
    mreq = socket.inet_aton(a.group) + socket.inet_aton(a.ifaddr)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    if a.ready_file:
        open(a.ready_file, "w").close()
    got = []
    end = time.monotonic() + a.timeout
    while len(got) < a.count and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            got.append(s.recv(65536).hex())
        except socket.timeout:
            break
    with open(a.out, "w") as f:
        json.dump(got, f)


def main(argv):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("schema")
    sub.add_parser("nbad")
    p = sub.add_parser("send")
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, action="append", default=[])
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--confluent-port", type=int, default=0)
    p.add_argument("--schema-id", type=int, default=1)
    p = sub.add_parser("recv")
    p.add_argument("--group", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ifaddr", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--out", required=True)
    p.add_argument("--ready-file")
    a = ap.parse_args(argv[1:])
    if a.cmd == "schema":
        print(json.dumps(SCHEMA))
    elif a.cmd == "nbad":
        print(sum(len(v) for v in all_broken(avro.schema.parse(json.dumps(SCHEMA))).values()))
    elif a.cmd == "send":
        send(a)
    else:
        recv(a)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
