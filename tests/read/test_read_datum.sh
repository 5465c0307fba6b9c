#!/bin/bash
# SPDX-License-Identifier: MIT
# xrelay-read on datum channels' files (records are the senders' datums under the channel's
# schema), against python3-avro's reading of the same files:
#  - a market-data channel written by the project's writer (recgen --datum: two shards,
#    several files, snappy and null): jsonl equals python3-avro field for field, shards in
#    order, files in order; --stats counts records and bytes per shard;
#  - files of a schema reaching every type (unions of every kind of branch, maps, fixed,
#    enums, a recursive type, floats with infinities and NaN, strings needing escapes), written
#    by python3-avro itself in deflate and snappy: jsonl (base64 and --hex) equal to its values;
#  - what datums cannot give (pcap, --gaps, --from/--to, xrelay-replay: no seq, time or
#    addresses): each file named with the reason, exit 3, nothing made up;
#  - a datum broken inside a block: named with the block's offset and the reason, exit 3.
# shellcheck source=tests/read/lib.sh
. "$(dirname "$0")/lib.sh"
rt_begin tshark
CD=$RT_REPO/tests/read/check_datum.py

mkdir -p "$RT/md" "$RT/mdn" "$RT/rich"
"$RECGEN" --dir "$RT/md" --channel md --datum --codec snappy --queues 2 --count 3000 \
	--per-file 500 --block 64 >/dev/null || rt_fail "recgen --datum snappy"
"$RECGEN" --dir "$RT/mdn" --channel mdn --datum --count 700 --block 100 >/dev/null ||
	rt_fail "recgen --datum null"
files=$(ls "$RT/md"/*.avro "$RT/mdn"/*.avro)   # shard and file order: what xrelay-read does
"$READ" "$RT/md" "$RT/mdn" >"$RT/md.jsonl" || rt_fail "xrelay-read exited $?"
# shellcheck disable=SC2086 # (file names without spaces)
r=$("$PY" "$CD" jsonl "$RT/md.jsonl" $files) || rt_fail "$r"
rt_check 'grep -q "ok: 3700 datums" <<<"$r"' "market data (snappy and null, 3 shards): $r"
l=$(head -n 1 "$RT/md.jsonl")
rt_check '[ "$l" = "{\"seq\":0,\"side\":\"BID\",\"price\":\"AAAA\",\"symbol\":\"ABC\",\"venue\":null,\"levels\":[]}" ]' \
	"the first line is the first datum's JSON encoding" "$l"

out=$("$READ" --stats "$RT/md" "$RT/mdn"); rc=$?
# mdn is in the null codec: its blocks' sizes add up to its datums' bytes.
bytes=$("$PY" "$CHECK" blocks "$RT/mdn"/*.avro | awk '{ n += $3 } END { print n }')
rt_check '[ $rc = 0 ] && grep -qx "md-q0: 1500 records, [0-9]* bytes (datums: no times)" <<<"$out" && grep -qx "mdn-q0: 700 records, $bytes bytes (datums: no times)" <<<"$out" && grep -qx "total: 3700 records, .* bytes (datums: no times), 3 shard(s)" <<<"$out"' \
	"--stats: records and datum bytes per shard (mdn-q0: $bytes, its blocks' sizes)" "exit $rc: $out"

for c in deflate snappy; do
	"$PY" "$CD" write "$RT/rich/rich-$c.avro" $c 400 $((RANDOM)) || rt_fail "python3-avro write $c"
	"$READ" "$RT/rich/rich-$c.avro" >"$RT/rich-$c.jsonl" || rt_fail "xrelay-read rich $c exited $?"
	r=$("$PY" "$CD" jsonl "$RT/rich-$c.jsonl" "$RT/rich/rich-$c.avro") || rt_fail "$c: $r"
	rt_check 'grep -q "ok: 400 datums" <<<"$r"' "every type, python3-avro's $c file: $r"
done
"$READ" --hex "$RT/rich/rich-snappy.avro" >"$RT/rich-hex.jsonl" || rt_fail "xrelay-read --hex exited $?"
r=$("$PY" "$CD" jsonl "$RT/rich-hex.jsonl" --hex "$RT/rich/rich-snappy.avro") || rt_fail "hex: $r"
rt_check 'grep -q "ok: 400 datums" <<<"$r"' "--hex: bytes and fixed in hex: $r"

# What needs envelope fields: the file named, the reason, exit 3, no record made up.
F=$(ls "$RT/mdn"/*.avro)
refused() {
	local what=$1 re=$2 rc; shift 2
	"$@" >"$RT/ref.out" 2>"$RT/ref.err"; rc=$?
	rt_check '[ $rc = 3 ] && grep -q "^[a-z-]*: $F: a datum channel.s file (schema md.Quote): its records carry no seq, ts_ns, addresses or ports, which $re" "$RT/ref.err"' \
		"$what: refused with the file's name and the reason, exit 3" "exit $rc: $(cat "$RT/ref.err")"
}
refused pcap "pcap and pcapng need" "$READ" -f pcap -o "$RT/x.pcap" "$RT/mdn"
n=$(tshark -r "$RT/x.pcap" 2>/dev/null | wc -l)
rt_check '[ "$n" = 0 ]' "the pcap holds no frame" "$n"
refused --gaps "--gaps needs" "$READ" --gaps "$RT/mdn"
refused --from "a time window (--from/--to) needs" "$READ" --from 0 "$RT/mdn"
[ -x "$REPLAY" ] && refused xrelay-replay "replaying needs" "$REPLAY" --dest 127.0.0.1:9 --top-speed "$RT/mdn"

# A datum broken in its block: record 1's side (an enum of 2) set to 2.
mkdir -p "$RT/bad"; cp "$F" "$RT/bad/"; B=$RT/bad/$(basename "$F")
read -r off _ size end _ < <("$PY" "$CHECK" blocks "$B" | sed -n 1p)
# Record 0 is seq 0 (00), side BID (00): the side is the data's second byte.
printf '\x04' | dd of="$B" bs=1 seek=$((end - 16 - size + 1)) conv=notrunc status=none
"$READ" "$RT/bad" >"$RT/bad.out" 2>"$RT/bad.err"; rc=$?
rt_check '[ $rc = 3 ] && grep -q "^xrelay-read: $B: byte $off: the block at byte $off: record 1 of 100 (at byte 0 of its [0-9]*) is not a datum of the file.s schema md.Quote (bad_enum)" "$RT/bad.err"' \
	"a broken datum: the block's offset and the reason, exit 3" "exit $rc: $(cat "$RT/bad.err")"
rt_pass "datum files: jsonl equal to python3-avro's (3700 market-data datums, 800 of every type), what needs envelopes refused by name"
