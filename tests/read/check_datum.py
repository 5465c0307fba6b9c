#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Independent checks of xrelay-read on datum channels' files, for tests/read/test_read_datum.sh.

usage:
  check_datum.py jsonl OUT.jsonl [--hex] FILE...   OUT against python3-avro's reading of FILEs
  check_datum.py write FILE CODEC N SEED           a file of N random datums of RICH_SCHEMA

jsonl: the records of FILE... (in that order) are read with Debian's python3-avro
(avro.datafile.DataFileReader), and line k of OUT must be record k in the Avro JSON encoding
xrelay-read documents: every line is turned back into a Python value by walking the file's
schema (a union's {"branch": value} by the branch it names, which must be one of the union's;
bytes and fixed from base64, or hex with --hex; a decimal's bytes into its Decimal, as
python3-avro gives it; a float to the nearest float32) and must equal python3-avro's record,
field by field, fields in schema order. Prints "ok: ..." and exits 0, or "check_datum.py:
what differed" and exits 1.
write: values drawn to reach every type: unions of every kind of branch, maps of unions,
a recursive list, strings with quotes, backslashes, control characters and non-BMP text,
floats including infinities and NaN, written by python3-avro's DataFileWriter.
"""
import base64
import decimal
import json
import math
import random
import struct
import sys

import avro.datafile
import avro.io
import avro.schema

RICH_SCHEMA = {
    "type": "record", "name": "Rich", "namespace": "t", "fields": [
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "fx", "type": {"type": "fixed", "name": "F4", "size": 4}},
        {"name": "e", "type": {"type": "enum", "name": "Color",
                               "symbols": ["RED", "GREEN", "BLUE"]}},
        {"name": "u", "type": ["null", "long", "string", "F4",
                               {"type": "array", "items": "int"},
                               {"type": "map", "values": "double"},
                               {"type": "record", "name": "Inner",
                                "fields": [{"name": "x", "type": "int"}]}]},
        {"name": "m", "type": {"type": "map",
                               "values": ["null", {"type": "array", "items": "string"}]}},
        {"name": "list", "type": ["null", {
            "type": "record", "name": "Node", "fields": [
                {"name": "v", "type": "int"}, {"name": "next", "type": ["null", "Node"]}]}]},
        {"name": "other", "type": {"type": "record", "name": "o.Other",
                                   "fields": [{"name": "c", "type": "t.Color"}]}},
    ]}


def fail(msg):
    print("check_datum.py: " + msg)
    sys.exit(1)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def rnd_text(r):
    pool = ['a', 'Z', ' ', '"', '\\', '\n', '\t', '\x00', '\x1f', '\x7f', 'é', '€', '\u2028',
            '😀', '/', '{', '}']
    return "".join(r.choice(pool) for _ in range(r.randint(0, 12)))


def rnd_real(r, single):
    x = r.choice([0.0, -0.0, 1.5, -2.25, float("inf"), float("-inf"), float("nan"),
                  r.uniform(-1e30, 1e30), r.uniform(-1, 1), 1e-40, 3.4e38])
    return f32(x) if single else x


def rnd_value(r, k):
    node = None
    for _ in range(r.randint(0, 3)):
        node = {"v": r.randint(-2**31, 2**31 - 1), "next": node}
    u = r.choice([None, r.randint(-2**63, 2**63 - 1), rnd_text(r), bytes(r.randbytes(4)),
                  [r.randint(-2**31, 2**31 - 1) for _ in range(r.randint(0, 4))],
                  {rnd_text(r): rnd_real(r, False) for _ in range(r.randint(0, 3))},
                  {"x": r.randint(-2**31, 2**31 - 1)}])
    return {"b": r.random() < 0.5, "i": r.randint(-2**31, 2**31 - 1),
            "l": r.choice([0, -1, 2**63 - 1, -2**63, r.randint(-2**63, 2**63 - 1)]),
            "f": rnd_real(r, True), "d": rnd_real(r, False),
            "by": bytes(r.randbytes(r.randint(0, 20))), "s": rnd_text(r),
            "fx": bytes(r.randbytes(4)), "e": r.choice(["RED", "GREEN", "BLUE"]), "u": u,
            "m": {rnd_text(r): r.choice([None, [rnd_text(r) for _ in range(r.randint(0, 3))]])
                  for _ in range(r.randint(0, 3))},
            "list": node, "other": {"c": r.choice(["RED", "BLUE"])}}


def write(path, codec, n, seed):
    r = random.Random(seed)
    s = avro.schema.parse(json.dumps(RICH_SCHEMA))
    with open(path, "wb") as fh:
        w = avro.datafile.DataFileWriter(fh, avro.io.DatumWriter(), s, codec=codec)
        for k in range(n):
            w.append(rnd_value(r, k))
        w.close()


def branch_name(s):
    if isinstance(s, avro.schema.NamedSchema):
        return s.fullname
    return s.type


def back(s, v, hexp, where):
    """Our JSON value @v of schema @s as the Python value python3-avro gives."""
    t = s.type
    if isinstance(s, avro.schema.UnionSchema):
        if v is None:
            if not any(b.type == "null" for b in s.schemas):
                fail(f"{where}: null for a union without a null branch")
            return None
        if not isinstance(v, dict) or len(v) != 1:
            fail(f"{where}: a union's value is not {{branch: value}}: {v!r}")
        (name, x), = v.items()
        for b in s.schemas:
            if branch_name(b) == name:
                return back(b, x, hexp, f"{where}<{name}>")
        fail(f"{where}: no branch {name!r} in the union")
    if t == "record":
        if not isinstance(v, dict) or list(v) != [f.name for f in s.fields]:
            fail(f"{where}: the fields are not the schema's, in order: {list(v)}")
        return {f.name: back(f.type, v[f.name], hexp, f"{where}.{f.name}") for f in s.fields}
    if t == "array":
        return [back(s.items, x, hexp, f"{where}[{i}]") for i, x in enumerate(v)]
    if t == "map":
        return {k: back(s.values, x, hexp, f"{where}[{k!r}]") for k, x in v.items()}
    if t in ("bytes", "fixed"):
        b = bytes.fromhex(v) if hexp else base64.b64decode(v, validate=True)
        if s.get_prop("logicalType") == "decimal":
            scale = s.get_prop("scale") or 0
            ctx = decimal.Context(prec=s.get_prop("precision"))
            return decimal.Decimal(int.from_bytes(b, "big", signed=True)).scaleb(-scale, ctx)
        return b
    if t in ("float", "double"):
        x = {"NaN": float("nan"), "Infinity": float("inf"),
             "-Infinity": float("-inf")}.get(v, v) if isinstance(v, str) else float(v)
        return f32(x) if t == "float" else x
    return v


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def first_diff(a, b, where=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b or not same(a[k], b[k]):
                return first_diff(a[k], b.get(k), f"{where}.{k}")
    return f"{where or 'the record'}: {a!r} against python3-avro's {b!r}"


def check_jsonl(out, hexp, files):
    n = 0
    with open(out) as fh:
        lines = fh.readlines()
    for path in files:
        with open(path, "rb") as f:
            rd = avro.datafile.DataFileReader(f, avro.io.DatumReader())
            schema = avro.schema.parse(rd.get_meta("avro.schema").decode())
            for rec in rd:
                if n >= len(lines):
                    fail(f"the output ends at line {n}; {path} has more records")
                got = back(schema, json.loads(lines[n]), hexp, f"line {n + 1}")
                if not same(got, rec):
                    fail(f"line {n + 1} ({path}): " + first_diff(got, rec))
                n += 1
            rd.close()
    if n != len(lines):
        fail(f"{len(lines) - n} line(s) more than the files' {n} records")
    print(f"ok: {n} datums, every field equal to python3-avro's")


def main():
    a = sys.argv[1:]
    if a and a[0] == "write":
        return write(a[1], a[2], int(a[3]), int(a[4]))
    if len(a) < 3 or a[0] != "jsonl":
        fail("usage: see the file's header")
    hexp = "--hex" in a
    files = [x for x in a[2:] if x != "--hex"]
    check_jsonl(a[1], hexp, files)


if __name__ == "__main__":
    main()
