#!/bin/bash
# SPDX-License-Identifier: MIT
# Damaged input: each case gives one message naming the file and the byte offset, the records
# before the damage are kept, reading goes on with the next file, exit 3; never a crash or an
# endless loop. Cases: not an Avro file, an empty file, a file cut inside its header, a torn
# tail, a bad sync marker, a truncated block (its count larger than its records), a schema
# that does not compile, a deflate block that does not inflate, a snappy
# block whose CRC32 is wrong, one that does not uncompress. A .part
# file with a torn tail is a file being written: read to its last whole block, no message,
# exit 0. Then 300 random corruptions: every run ends (under a timeout) with exit 0 or 3.
# Offsets are found by the test's own block walker (check_read.py blocks).
# shellcheck source=tests/read/lib.sh
. "$(dirname "$0")/lib.sh"
rt_begin

mkdir -p "$RT/good"
"$RECGEN" --dir "$RT/good" --channel dm --count 500 --block 100 --max-len 200 >/dev/null ||
	rt_fail "recgen failed"
GOOD=$(ls "$RT/good"/*.avro)
"$RECGEN" --dir "$RT/good" --channel df --codec deflate --count 300 --block 100 \
	--max-len 200 >/dev/null || rt_fail "recgen deflate failed"
DEFL=$(ls "$RT/good"/df-*.avro)
"$RECGEN" --dir "$RT/good" --channel ds --codec snappy --count 300 --block 100 \
	--max-len 200 >/dev/null || rt_fail "recgen snappy failed"
SNAP=$(ls "$RT/good"/ds-*.avro)
blocks() { "$PY" "$CHECK" blocks "$1"; }
# A damaged copy next to a good file: case NAME, then expect MESSAGE-REGEX RECORDS.
mkcase() { mkdir -p "$RT/$1"; cp "$GOOD" "$RT/$1/dm-q0-20251202T100000Z-1.avro"; F=$RT/$1/dm-q0-20251202T100000Z-1.avro; }
expect() {
	local name=$1 re=$2 want=$3 out n rc
	cp "$DEFL" "$RT/$name/"   # a good file after the damaged one: it must still be read
	timeout 20 "$READ" "$RT/$name" >"$RT/$name.out" 2>"$RT/$name.err"
	rc=$?
	out=$(wc -l <"$RT/$name.out")
	n=$(cat "$RT/$name.err")
	rt_check '[ "$rc" = 3 ] && [ "$(wc -l <"$RT/$name.err")" = 1 ] && grep -Eq "$re" "$RT/$name.err" && [ "$out" = $((want + 300)) ]' \
		"$name: exit 3, \"$n\", $want records kept and the next file's 300 read" \
		"exit $rc, $out records, stderr: $n"
}

mkcase notavro; echo "just some text, not Avro" >"$F"
expect notavro "^xrelay-read: $F: byte 0: not an Avro object container file" 0
mkcase empty; : >"$F"
expect empty "^xrelay-read: $F: byte 0: the file ends inside its Avro header" 0
mkcase header; truncate -s 100 "$F"
expect header "^xrelay-read: $F: byte 100: the file ends inside its Avro header" 0

mkcase torn
read -r off4 _ < <(blocks "$F" | sed -n 4p)
truncate -s $((off4 + 50)) "$F"
expect torn "^xrelay-read: $F: byte $off4: torn tail: the file ends inside the block at byte $off4 \\(50 bytes" 300

mkcase sync
read -r off3 _ _ end3 _ < <(blocks "$F" | sed -n 3p)
printf '\xff' | dd of="$F" bs=1 seek=$((end3 - 5)) conv=notrunc status=none
expect sync "^xrelay-read: $F: byte $off3: bad sync marker: the block at byte $off3 does not end with the file's sync marker" 200

mkcase count
read -r off2 cnt2 _ < <(blocks "$F" | sed -n 2p)
# The count 100 is the varint c8 01; 101 is ca 01, one record more than the block holds.
[ "$(od -An -tx1 -j "$off2" -N2 "$F" | tr -d ' ')" = c801 ] || rt_fail "block 2 does not start with count 100"
printf '\xca' | dd of="$F" bs=1 seek="$off2" conv=notrunc status=none
expect count "^xrelay-read: $F: byte $off2: truncated block at byte $off2: record 101 of 101 runs past its" 200

mkcase schema; rm "$F"
"$PY" - "$RT/schema/other.avro" <<'PY' || rt_fail "python3-avro could not write the other schema"
import sys, avro.schema, avro.datafile, avro.io
s = avro.schema.parse('{"type":"record","name":"Other","fields":[{"name":"x","type":"long"}]}')
w = avro.datafile.DataFileWriter(open(sys.argv[1], "wb"), avro.io.DatumWriter(), s)
w.append({"x": 1}); w.close()
PY
# Another valid schema is a datum channel's file: read (test_read_datum.sh); one that does
# not compile (its "long" made "lonk" in the header) is named.
out=$("$READ" "$RT/schema/other.avro")
rt_check '[ "$out" = "{\"x\":1}" ]' "another schema's file reads as datums" "$out"
sed -i 's/"type": "long"/"type": "lonk"/; s/"type":"long"/"type":"lonk"/' "$RT/schema/other.avro"
expect schema "^xrelay-read: $RT/schema/other.avro: the schema is neither xrelay.Packet nor a valid Avro schema \\(at \"fields\\[0\\].type\": unknown type \"lonk\"" 0

mkdir -p "$RT/inflate"; cp "$DEFL" "$RT/inflate/df-q0-20251202T100000Z-1.avro"
F=$RT/inflate/df-q0-20251202T100000Z-1.avro
read -r offd _ sized _ < <(blocks "$F" | sed -n 2p)
dd if=/dev/urandom of="$F" bs=1 seek=$((offd + 10)) count=$((sized / 2)) conv=notrunc status=none
cp "$GOOD" "$RT/inflate/"
timeout 20 "$READ" "$RT/inflate" >"$RT/inflate.out" 2>"$RT/inflate.err"; rc=$?
out=$(wc -l <"$RT/inflate.out")
rt_check '[ $rc = 3 ] && grep -Eq "^xrelay-read: $F: byte $offd: (the deflate block at byte $offd does not inflate|truncated block at byte $offd)" "$RT/inflate.err" && [ "$out" -ge 600 ]' \
	"inflate: a broken deflate block is named by its offset, the records before it kept, the next file read" "exit $rc, $out records: $(cat "$RT/inflate.err")"

# Snappy: block 2's CRC32 (the 4 bytes before its sync marker) changed; then block 2's data
# overwritten so that it does not uncompress. Each named with its offset, block 1 kept.
snapcase() {
	local name=$1 re=$2 rc out
	timeout 20 "$READ" "$RT/$name" >"$RT/$name.out" 2>"$RT/$name.err"; rc=$?
	out=$(wc -l <"$RT/$name.out")
	rt_check '[ $rc = 3 ] && [ "$(wc -l <"$RT/$name.err")" = 1 ] && grep -Eq "$re" "$RT/$name.err" && [ "$out" = 600 ]' \
		"$name: exit 3, \"$(cat "$RT/$name.err")\", block 1's 100 records kept and the next file's 500 read" \
		"exit $rc, $out records: $(cat "$RT/$name.err")"
}
mkdir -p "$RT/crc"; cp "$SNAP" "$RT/crc/ds-q0-20251202T100000Z-1.avro"; cp "$GOOD" "$RT/crc/"
F=$RT/crc/ds-q0-20251202T100000Z-1.avro
read -r offs _ sizes ends _ < <(blocks "$F" | sed -n 2p)
b=$(od -An -tu1 -j $((ends - 17)) -N1 "$F" | tr -d ' ')
printf "\\$(printf %o $(((b + 1) % 256)))" | dd of="$F" bs=1 seek=$((ends - 17)) conv=notrunc status=none
snapcase crc "^xrelay-read: $F: byte $offs: the snappy block at byte $offs fails its CRC32 check \(CRC32 [0-9a-f]{8} stored, [0-9a-f]{8} of the [0-9]+ bytes"
mkdir -p "$RT/snapbad"; cp "$SNAP" "$RT/snapbad/ds-q0-20251202T100000Z-1.avro"; cp "$GOOD" "$RT/snapbad/"
F=$RT/snapbad/ds-q0-20251202T100000Z-1.avro
read -r offs _ sizes ends _ < <(blocks "$F" | sed -n 2p)
# After the prefix: the snappy length varint and a literal's tag; 0xff bytes make copies from
# before the start (or a length past the data).
head -c $((sizes - 8)) /dev/zero | tr '\0' '\377' |
	dd of="$F" bs=1 seek=$((ends - 16 - sizes + 2)) conv=notrunc status=none
snapcase snapbad "^xrelay-read: $F: byte $offs: the snappy block at byte $offs (does not uncompress|fails its CRC32 check)"

# A .part with a torn tail: read to its last whole block, quietly.
mkdir -p "$RT/part"; cp "$GOOD" "$RT/part/dm-q0-20251202T100000Z-1.avro.part"
read -r off5 _ < <(blocks "$GOOD" | sed -n 5p)
truncate -s $((off5 + 7)) "$RT/part/dm-q0-20251202T100000Z-1.avro.part"
"$READ" "$RT/part" >"$RT/part.out" 2>"$RT/part.err"; rc=$?
out=$(wc -l <"$RT/part.out")
rt_check '[ $rc = 0 ] && [ ! -s "$RT/part.err" ] && [ "$out" = 400 ]' \
	".part being written: its 4 whole blocks read, no message, exit 0" "exit $rc, $out records: $(cat "$RT/part.err")"

out=$("$READ" "$RT/nosuch" 2>&1); rc=$?
rt_check '[ $rc = 3 ] && grep -q "nosuch: cannot open: No such file or directory" <<<"$out"' "a missing path: its name and exit 3" "$out"
"$READ" --format xml "$RT/good" 2>/dev/null; rc=$?
rt_check '[ $rc = 2 ]' "a bad flag: exit 2" "exit $rc"

# Random damage: bytes overwritten, cut, or both; every run ends, with 0 or 3.
mkdir -p "$RT/fuzz"; bad=0
for i in $(seq 300); do
	f=$RT/fuzz/dm-q0-20251202T100000Z-1.avro
	case $((i % 3)) in 0) cp "$GOOD" "$f" ;; 1) cp "$DEFL" "$f" ;; 2) cp "$SNAP" "$f" ;; esac
	sz=$(stat -c %s "$f")
	for k in 1 2 3; do
		dd if=/dev/urandom of="$f" bs=1 seek=$(( (RANDOM * 32768 + RANDOM) % sz )) \
			count=$((RANDOM % 8 + 1)) conv=notrunc status=none
	done
	[ $((i % 4)) = 0 ] && truncate -s $(( (RANDOM * 32768 + RANDOM) % sz )) "$f"
	timeout 10 "$READ" "$f" >/dev/null 2>&1; rc=$?
	case $rc in 0 | 3) ;; *) bad=$((bad + 1)); cp "$f" "$RT/crash-$i.avro"; rt_log "run $i: exit $rc" ;; esac
done
rt_check '[ $bad = 0 ]' "300 random corruptions: every run ended with exit 0 or 3" "$bad did not"
rt_pass "every damage case named with its offset, the rest read"
