#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Read Avro object container files with Debian's python3-avro and print them as JSON lines.

usage: avro_read.py [--no-check] FILE...

For each FILE, in order:
  line 1:   {"file": FILE, "codec": ..., "sync": HEX, "blocks": [count, ...], "meta": {KEY: TEXT}}
            ("blocks": records per block, in file order; metadata values as UTF-8 text, or
            "hex:..." for a value that is not UTF-8; "avro.schema" included; "blocks" is
            null with --no-check)
  then:     one line per record, {"field": value, ...} in schema order; bytes and fixed values
            as lowercase hex strings, other types as JSON (nested records and arrays likewise).

The records come from avro.datafile.DataFileReader (the reader everyone uses). Unless
--no-check is given, the file is also walked block by block, independently of that reader:
every block must have a count >= 1, hold exactly that many records in exactly its byte size
(after inflating, for deflate; after
uncompressing and checking the CRC32, for snappy), and end with the header's sync marker; and the records found
that way must equal the DataFileReader's. A violation prints "avro_read.py: FILE: reason" on
stderr and exits 1 (2 for usage errors). Output for files before a failing one is complete.
"""
import decimal
import io
import json
import sys
import warnings
import zlib

import avro.datafile
import avro.errors
import avro.io
import avro.schema
import snappy  # python3-snappy

# python3-avro 1.11 does not know timestamp-nanos (Avro 1.12): it warns once per schema parse
# and reads the long as it is, which is what the records here are compared by.
warnings.simplefilter("ignore", avro.errors.IgnoredLogicalType)


def plain(v):
    """A datum as JSON-serialisable data, bytes as hex, decimals as their text."""
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def meta_text(v):
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        return "hex:" + v.hex()


class CheckError(Exception):
    pass


def walk_blocks(f, start, sync, codec, schema):
    """Walk the blocks from offset start; return (records per block, all records)."""
    f.seek(0, 2)
    size = f.tell()
    f.seek(start)
    dec = avro.io.BinaryDecoder(f)
    reader = avro.io.DatumReader(schema, schema)
    counts, records = [], []
    while f.tell() < size:
        at = f.tell()
        try:
            count = dec.read_long()
            length = dec.read_long()
        except Exception as e:  # noqa: BLE001 - any decode failure is a framing error
            raise CheckError(f"block at {at}: bad prefix ({e})")
        if count < 1:
            raise CheckError(f"block at {at}: count {count}")
        if length < 0 or f.tell() + length + 16 > size:
            raise CheckError(f"block at {at}: size {length} runs past the end ({size})")
        data = f.read(length)
        mark = f.read(16)
        if mark != sync:
            raise CheckError(f"block at {at}: sync marker {mark.hex()} is not {sync.hex()}")
        if codec == "deflate":
            z = zlib.decompressobj(-15)
            try:
                data = z.decompress(data) + z.flush()
            except zlib.error as e:
                raise CheckError(f"block at {at}: deflate: {e}")
            if not z.eof or z.unused_data:
                raise CheckError(f"block at {at}: deflate stream incomplete or followed by data")
        elif codec == "snappy":
            if len(data) < 4:
                raise CheckError(f"block at {at}: snappy block without its CRC32")
            try:
                raw = snappy.uncompress(data[:-4])
            except Exception as e:  # noqa: BLE001
                raise CheckError(f"block at {at}: snappy: {e}")
            if zlib.crc32(raw) != int.from_bytes(data[-4:], "big"):
                raise CheckError(f"block at {at}: snappy CRC32 does not match the data")
            data = raw
        elif codec != "null":
            raise CheckError(f"codec {codec!r} not checked")
        buf = io.BytesIO(data)
        bdec = avro.io.BinaryDecoder(buf)
        for i in range(count):
            try:
                records.append(reader.read(bdec))
            except Exception as e:  # noqa: BLE001
                raise CheckError(f"block at {at}: record {i} of {count}: {e}")
        if buf.tell() != len(data):
            raise CheckError(f"block at {at}: {len(data) - buf.tell()} bytes after {count} records")
        counts.append(count)
    return counts, records


def read_file(path, check):
    with open(path, "rb") as f:
        rdr = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        header_end = f.tell()
        meta = {k: meta_text(v) for k, v in rdr.meta.items()}
        codec = rdr.codec
        sync = rdr.sync_marker
        records = list(rdr)
        counts = None
        if check:
            schema = avro.schema.parse(rdr.schema)
            counts, walked = walk_blocks(f, header_end, sync, codec, schema)
            if walked != records:
                raise CheckError(f"block walk found {len(walked)} records, DataFileReader {len(records)}"
                                 " (or they differ)")
    out = sys.stdout
    out.write(json.dumps({"file": path, "codec": codec, "sync": sync.hex(), "blocks": counts,
                          "meta": meta}) + "\n")
    for r in records:
        out.write(json.dumps(plain(r)) + "\n")


def main(argv):
    args = argv[1:]
    check = True
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0
    if args and args[0] == "--no-check":
        check = False
        args = args[1:]
    if not args or any(a.startswith("-") and a != "-" for a in args[:1]):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    for path in args:
        try:
            read_file(path, check)
        except CheckError as e:
            sys.stdout.flush()
            sys.stderr.write(f"avro_read.py: {path}: {e}\n")
            return 1
        except Exception as e:  # noqa: BLE001 - report any reader failure the same way
            sys.stdout.flush()
            sys.stderr.write(f"avro_read.py: {path}: {type(e).__name__}: {e}\n")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
