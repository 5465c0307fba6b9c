#!/bin/bash
# SPDX-License-Identifier: MIT
# The test tools themselves, without the dataplane: udpgen -> udpsub over a veth pair (IPv4 and
# IPv6, unicast and multicast, decimated), udpsub's failure verdicts, and verify_avro.py (the
# Python copy of the pattern) against files that fake_recorder.py wrote from udpgen's traffic,
# whole and deliberately broken in each way verify_avro must catch.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 120 "$@"
xr_need_tools
xr_veth

N=20000
RATE=$(xr_rate 40000)

# sub_gen NAME GEN_ARGS -- SUB_ARGS: udpsub in the peer, udpgen from here; prints udpsub's JSON
# and returns its status.
sub_gen() {
	local name=$1 gen=() sub=()
	shift
	while [ "$1" != -- ]; do
		gen+=("$1")
		shift
	done
	shift
	sub=("$@")
	xr_sub "$name" "${sub[@]}"
	"$UDPGEN" "${gen[@]}" >"$XR_TMP/$name.gen" || xr_fail "$name: udpgen failed: $(cat "$XR_TMP/$name.gen")"
	xr_wait "$name"
	local rc=$?
	cat "$XR_TMP/$name.out"
	return $rc
}

# 1. unicast IPv4, host -> peer
out=$(sub_gen u4 --dst $XR_P4 --port 7001 --count $N --rate $RATE --seed 7 -- \
	--bind 0.0.0.0 --port 7001 --expect $N --seed 7 --timeout 20) ||
	xr_fail "unicast IPv4: $out"
xr_log "unicast IPv4: $N datagrams at $RATE/s: $(xr_json rate <"$XR_TMP/u4.gen") pps sent, all received intact"

# 2. multicast IPv4 out of the host side, joined on the peer side
out=$(sub_gen m4 --dst 239.1.2.3 --port 7002 --count $N --rate $RATE --seed 8 --bind-if "$XR_H" -- \
	--group 239.1.2.3 --port 7002 --if "$XR_P" --expect $N --seed 8 --timeout 20) ||
	xr_fail "multicast IPv4: $out"
xr_log "multicast IPv4 (239.1.2.3 on $XR_P): $N received intact"

# 3. unicast and multicast IPv6, lengths 0..1452
out=$(sub_gen u6 --dst $XR_P6 --port 7003 --count $N --rate $RATE --seed 9 -- \
	--bind :: --port 7003 --expect $N --seed 9 --timeout 20) ||
	xr_fail "unicast IPv6: $out"
out=$(sub_gen m6 --dst ff15::db8:1 --port 7004 --count $N --rate $RATE --seed 10 --bind-if "$XR_H" -- \
	--group ff15::db8:1 --port 7004 --if "$XR_P" --expect $N --seed 10 --timeout 20) ||
	xr_fail "multicast IPv6: $out"
xr_log "IPv6 unicast and multicast (ff15::db8:1): $N each received intact"

# 4. decimated: indices 0, 10, 20, ...
out=$(sub_gen e10 --dst 239.1.2.4 --port 7005 --count 2000 --every 10 --rate $RATE --bind-if "$XR_H" -- \
	--group 239.1.2.4 --port 7005 --if "$XR_P" --expect 2000 --every 10 --timeout 20) ||
	xr_fail "every 10: $out"
[ "$(echo "$out" | xr_json indices_mod_every_ok max_index | tr '\n' ' ')" = "true 19990 " ] ||
	xr_fail "every 10: $out"
xr_log "every 10: 2000 datagrams, indices 0..19990 step 10"

# 5. udpsub says no when it should: too few, another seed, the wrong decimation, duplicates
out=$(sub_gen f1 --dst $XR_P4 --port 7006 --count 999 --rate $RATE -- \
	--bind 0.0.0.0 --port 7006 --expect 1000 --idle 0.5 --timeout 10) &&
	xr_fail "udpsub passed 999 of 1000: $out"
[ "$(echo "$out" | xr_json received distinct timed_out | tr '\n' ' ')" = "999 999 true " ] ||
	xr_fail "udpsub with 999 of 1000: $out"
out=$(sub_gen f2 --dst $XR_P4 --port 7007 --count 1000 --seed 2 --rate $RATE -- \
	--bind 0.0.0.0 --port 7007 --expect 1000 --seed 3 --idle 0.5 --timeout 10) &&
	xr_fail "udpsub passed another seed: $out"
bad=$(echo "$out" | xr_json bad)
[ "$bad" -ge 990 ] || xr_fail "udpsub with another seed: only $bad bad: $out"
out=$(sub_gen f3 --dst 239.1.2.5 --port 7008 --count 100 --every 5 --rate $RATE --bind-if "$XR_H" -- \
	--group 239.1.2.5 --port 7008 --if "$XR_P" --every 10 --idle 0.5 --timeout 10) &&
	xr_fail "udpsub --every 10 passed every 5: $out"
[ "$(echo "$out" | xr_json indices_mod_every_ok)" = false ] || xr_fail "every 5 vs 10: $out"
xr_sub f4 --bind 0.0.0.0 --port 7009 --expect 500 --idle 0.5 --timeout 10 --linger 500
"$UDPGEN" --dst $XR_P4 --port 7009 --count 500 >/dev/null
"$UDPGEN" --dst $XR_P4 --port 7009 --count 20 --first 100 >/dev/null
xr_wait f4 && xr_fail "udpsub passed duplicates: $(cat "$XR_TMP/f4.out")"
[ "$(xr_json duplicates <"$XR_TMP/f4.out")" = 20 ] || xr_fail "duplicates: $(cat "$XR_TMP/f4.out")"
xr_log "udpsub fails 999/1000, another seed ($bad bad), every 5 vs 10, 20 duplicates"

# 6. pacing: 5000 at 10000/s take 0.5 s
j=$("$UDPGEN" --dst $XR_P4 --port 7010 --count 5000 --rate 10000)
secs=$(echo "$j" | xr_json seconds)
awk -v s="$secs" 'BEGIN { exit !(s >= 0.4999 && s < 0.7) }' || xr_fail "5000 at 10000/s took $secs s: $j"
xr_log "pacing: 5000 datagrams at 10000/s in $secs s"

# 7. verify_avro.py: fake_recorder.py writes what udpgen sent (C pattern -> Python check)
# record DIR NAME COUNT [--corrupt KIND]: udpgen -> fake_recorder in the peer namespace.
PORT=7100
record() {
	local out=$1 ch=$2 n=$3 seed=$4
	shift 4
	PORT=$((PORT + 1))
	rm -f "$XR_TMP/rec.ready"
	xr_bg rec nsenter --net=/run/netns/"$XR_NS" "$XR_PY" "$XR_NET/fake_recorder.py" \
		--bind $XR_P4 --port $PORT --out "$out" --channel "$ch" --count "$n" --idle 1 \
		--rotate 700 --ready-file "$XR_TMP/rec.ready" "$@"
	xr_wait_file "$XR_TMP/rec.ready" 5 || xr_fail "fake_recorder not ready: $(cat "$XR_TMP/rec.err")"
	"$UDPGEN" --dst $XR_P4 --port $PORT --src-port 4000 --count "$n" --rate 20000 --seed "$seed" \
		--max-len 600 >/dev/null || xr_fail "udpgen to fake_recorder failed"
	xr_wait rec || xr_fail "fake_recorder failed: $(cat "$XR_TMP/rec.err")"
}
verify() {
	"$XR_PY" "$VERIFY" --src $XR_H4 --dst $XR_P4 --sport 4000 --max-len 600 "$@" 2>"$XR_TMP/verify.err"
}

t0=$(xr_now_ns)
record "$XR_TMP/good" ok 8000 21
t1=$(xr_now_ns)
out=$(verify --dir "$XR_TMP/good/ok" --count 8000 --seed 21 --dport $PORT --t0 "$t0" --t1 "$t1" --queues 1) ||
	xr_fail "verify_avro rejected good files: $(cat "$XR_TMP/verify.err")"
[ "$(echo "$out" | xr_json files records)" = "$(printf '12\n8000')" ] ||
	xr_fail "verify_avro summary: $out"
# The same files fail with the wrong seed, count, range, addresses, port and time window.
for bad in "--count 8001 --seed 21" "--count 8000 --seed 22" "--count 8000 --seed 21 --first 1" \
	"--count 8000 --seed 21 --t0 $t1" "--count 8000 --seed 21 --records 7999"; do
	# shellcheck disable=SC2086
	verify --dir "$XR_TMP/good/ok" $bad --dport $PORT >/dev/null &&
		xr_fail "verify_avro passed good files with $bad"
done
verify --dir "$XR_TMP/good/ok" --count 8000 --seed 21 --dport $((PORT + 1)) >/dev/null &&
	xr_fail "verify_avro passed another dport"
out=$(verify --dir "$XR_TMP/good/ok" --count any --seed 21 --dport $PORT) ||
	xr_fail "verify_avro --count any: $(cat "$XR_TMP/verify.err")"
[ "$(echo "$out" | xr_json first_index last_index | tr '\n' ' ')" = "0 7999 " ] ||
	xr_fail "--count any: $out"
xr_log "verify_avro: 8000 records in 12 files check out (C and Python agree on the pattern)"

# Each kind of damage, and the words verify_avro must say about it.
checked=""
for kd in "flip:differs from byte" "gap:gap of 1" "drop:are not in the files" \
	"dup:recorded twice" "swap:out of order" "srcaddr:src_addr" "dport:dst_port" \
	"ts:outside" "seqback:not increasing" "part:.part file" "truncate:not readable" \
	"name:unexpected file name" "meta:xrelay.queue"; do
	kind=${kd%%:*}
	want=${kd#*:}
	rm -rf "$XR_TMP/bad"
	record "$XR_TMP/bad" "c-$kind" 1500 $((30 + ${#checked})) --corrupt "$kind@$((RANDOM % 1000 + 200))"
	t1=$(xr_now_ns)
	verify --dir "$XR_TMP/bad/c-$kind" --count 1500 --seed $((30 + ${#checked})) --dport $PORT \
		--t0 "$t0" --t1 "$t1" --queues 1 >/dev/null &&
		xr_fail "verify_avro passed files with damage '$kind'"
	grep -q -- "$want" "$XR_TMP/verify.err" ||
		xr_fail "verify_avro on '$kind' said: $(cat "$XR_TMP/verify.err") (want '$want')"
	checked="$checked $kind"
done
# --lossy accepts a gap and counts it; the dropped record shows as missing.
record "$XR_TMP/lossy" lossy 1500 50 --corrupt gap@700
out=$(verify --dir "$XR_TMP/lossy/lossy" --count 1500 --seed 50 --dport $PORT --lossy) ||
	xr_fail "verify_avro --lossy: $(cat "$XR_TMP/verify.err")"
[ "$(echo "$out" | xr_json shards.0.seq_gaps missing | tr '\n' ' ')" = "1 0 " ] ||
	xr_fail "--lossy summary: $out"
xr_log "verify_avro fails each damage:$checked"

xr_pass "udpgen/udpsub over veth (v4/v6, unicast/multicast, every 10) and verify_avro.py (good files and 13 kinds of damage)"
