#!/bin/bash
# SPDX-License-Identifier: MIT
# xrelay-read's three output formats against independent readers, on recordings written by
# the project's writer (recgen): two shards of IPv4 (null codec, several files, payloads of
# 0-1472 bytes), one IPv6 channel (deflate, payloads up to 9000 bytes) and one IPv4 channel
# in snappy (two shards, several files), read together.
#  - jsonl (base64 and hex) equals python3-avro's reading of the same files field for field,
#    every record once, merged in ts_ns order;
#  - pcap and pcapng read by tshark: the same count, timestamps to the nanosecond, addresses,
#    ports and payloads equal, UDP and IPv4 checksums valid (tshark checks them).
# shellcheck source=tests/read/lib.sh
. "$(dirname "$0")/lib.sh"
rt_begin tshark

mkdir -p "$RT/v4" "$RT/v6" "$RT/sz"
"$RECGEN" --dir "$RT/v4" --channel feed4 --queues 2 --count 3000 --per-file 600 --block 100 \
	--interval 333337 --min-len 0 --max-len 1472 --seed 7 >/dev/null || rt_fail "recgen v4"
"$RECGEN" --dir "$RT/v6" --channel feed6 --v6 --codec deflate --count 800 --block 64 \
	--start 1764669600000050001 --interval 1250003 --min-len 0 --max-len 9000 --seed 8 \
	--sport 40001 --dport 6001 >/dev/null || rt_fail "recgen v6"
"$RECGEN" --dir "$RT/sz" --channel feedz --codec snappy --queues 2 --count 600 --per-file 100 \
	--block 40 --start 1764669600000000007 --interval 2000011 --max-len 1472 --seed 9 \
	--sport 40002 --dport 6002 >/dev/null || rt_fail "recgen snappy"
n=$(ls "$RT/v4" | wc -l)
rt_check '[ "$n" = 6 ]' "the IPv4 recording has 6 files in 2 shards" "$n"

"$READ" "$RT/v4" "$RT/v6" "$RT/sz" >"$RT/out.jsonl" || rt_fail "xrelay-read jsonl exited $?"
r=$("$PY" "$CHECK" jsonl "$RT/out.jsonl" "$RT/v4" "$RT/v6" "$RT/sz") || rt_fail "$r"
rt_check 'grep -q "ok: 4400 records" <<<"$r"' "jsonl (base64) vs python3-avro: $r"
"$READ" --hex "$RT/v4" "$RT/v6" "$RT/sz" >"$RT/hex.jsonl" || rt_fail "xrelay-read --hex exited $?"
r=$("$PY" "$CHECK" jsonl "$RT/hex.jsonl" --hex "$RT/v4" "$RT/v6" "$RT/sz") || rt_fail "$r"
rt_check 'grep -q "ok: 4400 records" <<<"$r"' "jsonl (hex) vs python3-avro: $r"

for f in pcap pcapng; do
	"$READ" -f $f -o "$RT/out.$f" "$RT/v4" "$RT/v6" "$RT/sz" || rt_fail "xrelay-read -f $f exited $?"
	r=$("$PY" "$CHECK" pcap "$RT/out.$f" "$RT/v4" "$RT/v6" "$RT/sz") || rt_fail "$f: $r"
	rt_check 'grep -q "ok: tshark reads 4400 frames" <<<"$r"' "$f: $r"
done
# pcap to stdout (a pipe) is the same file as with -o.
"$READ" -f pcap "$RT/v4" "$RT/v6" "$RT/sz" | cmp -s - "$RT/out.pcap"
rt_check '[ "${PIPESTATUS[0]}" = 0 ]' "pcap through a pipe equals pcap written with -o"
t=$(tshark -r "$RT/out.pcap" -T fields -e frame.time_epoch -c 1 2>/dev/null)
rt_check '[ "$t" = 1764669600.000000000 ]' "the first frame's time is the first record's ts_ns" "$t"
rt_pass "jsonl, pcap and pcapng of 4400 records (IPv4 and IPv6, null, deflate and snappy) agree with python3-avro and tshark"
