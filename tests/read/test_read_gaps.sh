#!/bin/bash
# SPDX-License-Identifier: MIT
# xrelay-read --gaps finds the sequence gaps made on purpose and nothing else:
#  - a recording without gaps (2 shards, 5 files each): "0 gap(s)", exit 0;
#  - the same in snappy with gaps made by recgen (seq numbers never written): inside a block, at a block
#    boundary, across a file boundary, in the other shard; each reported with its exact seq
#    range, count and the times around it, the totals right, exit 1;
#  - --from/--to: only the gaps inside the window; --snapshot adds the channel's drop causes
#    from a /stats snapshot; --stats counts records per shard.
# shellcheck source=tests/read/lib.sh
. "$(dirname "$0")/lib.sh"
rt_begin

mkdir -p "$RT/clean" "$RT/gappy"
gen() { "$RECGEN" --channel gp --queues 2 --count 4000 --per-file 400 --block 50 \
	--start 1764669600000000000 --interval 1000000 --max-len 100 "$@" >/dev/null ||
	rt_fail "recgen $*"; }
gen --dir "$RT/clean"
out=$("$READ" --gaps "$RT/clean")
rc=$?
rt_check '[ $rc = 0 ] && grep -qx "total: 0 gap(s), 0 missing, 4000 records in 2 shard(s)" <<<"$out"' \
	"no gaps in a clean recording, exit 0" "exit $rc: $out"

# Queue 0: 10..12 inside a block, 50..59 at a block boundary (blocks hold 50), 413..417 at
# the file boundary (a file holds 400 records: seq 0..412 with 13 missing); queue 1:
# 1000..1099.
gen --dir "$RT/gappy" --codec snappy --gap 0:10:3 --gap 0:50:10 --gap 0:413:5 --gap 1:1000:100
out=$("$READ" --gaps "$RT/gappy")
rc=$?
gaps=$(grep ': gap: ' <<<"$out" | sed 's/, between.*//')
want="gp-q0: gap: seq 10..12, 3 missing
gp-q0: gap: seq 50..59, 10 missing
gp-q0: gap: seq 413..417, 5 missing
gp-q1: gap: seq 1000..1099, 100 missing"
rt_check '[ $rc = 1 ] && [ "$gaps" = "$want" ]' "the four gaps made, and only them, exit 1" "exit $rc: $out"
rt_check 'grep -qx "total: 4 gap(s), 118 missing, 4000 records in 2 shard(s)" <<<"$out"' "the totals" "$out"
# Record 2k of the run is queue 0's (2 queues); its seq 9 is written as index 18 (18 ms), seq
# 13 (the one after the gap) is index 20 (20 ms).
rt_check 'grep -q "seq 10..12, 3 missing, between 2025-12-02T10:00:00.018000000Z and 2025-12-02T10:00:00.020000000Z" <<<"$out"' \
	"the times around a gap are the records before and after it" "$out"

# A window that holds only queue 1's gap (its records 1000.. are at 2 * 1000 ms and on).
out=$("$READ" --gaps --from 1764669601500000000 --to 1764669602500000000 "$RT/gappy")
rc=$?
rt_check '[ $rc = 1 ] && [ "$(grep -c ": gap: " <<<"$out")" = 1 ] && grep -q "gp-q1: gap: seq 1000..1099" <<<"$out"' \
	"--from/--to: only the gap inside the window" "$out"

echo '{"channels": {"gp": {"rx_packets": 4118, "drops": {"ring_full": 118, "write_failed": 0}}}}' \
	>"$RT/stats.json"
out=$("$READ" --gaps --snapshot "$RT/stats.json" "$RT/gappy")
rt_check 'grep -q "gp-q0: 3 gap(s), 18 missing; 2000 records, seq 0..2017; drops counted for channel gp: ring_full 118" <<<"$out"' \
	"--snapshot: the channel's drop causes beside its gaps" "$out"
out=$("$READ" --stats "$RT/gappy")
rt_check 'grep -q "^gp-q1: 2000 records, " <<<"$out" && grep -q "^total: 4000 records, .* (3.999 s), 1000.0 records/s, 2 shard(s)" <<<"$out"' \
	"--stats: records, span and rate per shard and in all" "$out"
rt_pass "gaps found exactly, exit codes 0 and 1"
