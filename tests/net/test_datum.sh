#!/bin/bash
# SPDX-License-Identifier: MIT
# Datum channels and codecs end to end (issue 12), on a veth pair.
#
# Senders in the peer namespace emit datums of a market-data-like schema (tests/net/
# datum_tool.py: a long sequence, an enum side, a decimal price, a string symbol, an optional
# venue, an array of levels), encoded by python3-avro, with broken ones of each class the
# validator names mixed in. Four datum channels take them (codec null, deflate, snappy; and
# snappy with the Confluent prefix, where datums with another schema id come too), three
# envelope channels the same datagrams (null, deflate, snappy). After a SIGTERM:
#  - every file (both formats, all three codecs) is read by python3-avro (avro_read.py, with its
#    own block walk, CRC32 of snappy blocks checked) and by npm's avsc (avsc_read.js), and the
#    two print the same records;
#  - a datum channel's files hold exactly the good datums, field by field as sent, under the
#    channel's schema (header == GET /channels/{name}/schema == what was POSTed), the codec
#    asked; its <name>-rejected files hold exactly the broken datagrams (envelopes, payload
#    byte for byte); /stats counts recorded_packets = good, rejected_packets = broken and each
#    reason class as sent; an envelope channel's files hold every datagram;
#  - the multicast subscriber of the null channel got every datagram, good and broken;
#  - the books balance for every channel (xr_books).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# npm's avsc and snappyjs, into the build folder (never committed), once; before xr_begin:
# its namespaces have no route to the package registry.
NODE_DIR=$BUILD/node-avro
if [ -z "${XR_INNER:-}" ]; then
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
		xr_skip "node and npm are needed (avsc)"
	if ! [ -f "$NODE_DIR/node_modules/avsc/package.json" ] ||
		! [ -f "$NODE_DIR/node_modules/snappyjs/package.json" ]; then
		mkdir -p "$NODE_DIR"
		log=$(mktemp)
		(cd "$NODE_DIR" && { [ -f package.json ] || echo '{"private": true}' >package.json; } &&
			npm install --no-package-lock --no-audit --no-fund --loglevel=error \
				avsc@5.7.9 snappyjs@0.7.0 >"$log" 2>&1) ||
			{ msg=$(tail -n 3 "$log"); rm -f "$log"; xr_skip "npm install avsc snappyjs failed: $msg"; }
		rm -f "$log"
	fi
fi
xr_begin 120 "$@"
xr_need_tools
xr_need_dataplane
"$XR_PY" -c 'import snappy' 2>/dev/null || xr_skip "python3-snappy is not installed"

xr_veth
xr_api
xr_dataplane --xdp-mode native
N=${DATUM_COUNT:-1500}
TOOL=$XR_NET/datum_tool.py
SCHEMA=$("$XR_PY" "$TOOL" schema)

datum() { # NAME PORT CODEC [EXTRA JSON]
	xr_channel_create '{"name": "'"$1"'", "port": '"$2"', "format": "datum", "codec": "'"$3"'",
		"schema": '"$SCHEMA"' '"${4:-}"'}'
}
datum md-n 6500 null ', "destinations": [{"addr": "239.42.0.1", "port": 7500, "interface": "'"$XR_H"'"}]'
datum md-d 6501 deflate
datum md-s 6502 snappy
datum md-c 6503 snappy ', "prefix": "confluent", "schema_id": 77'
xr_channel_create '{"name": "env-n", "port": 6510, "codec": "null"}'
xr_channel_create '{"name": "env-d", "port": 6511, "codec": "deflate"}'
xr_channel_create '{"name": "env-s", "port": 6512, "codec": "snappy"}'
got=$(xr_get /channels/md-c format)-$(xr_get /channels/md-c codec)-$(xr_get /channels/md-c prefix)
xr_check '[ "$got" = datum-snappy-confluent ]' "a datum channel shows its format, codec and prefix" "$got"

NBAD=$("$XR_PY" "$TOOL" nbad)
xr_bg sub nsenter --net=/run/netns/"$XR_NS" "$XR_PY" "$TOOL" recv --group 239.42.0.1 --port 7500 \
	--ifaddr $XR_P4 --count $((N + NBAD)) --timeout 30 --out "$XR_TMP/sub.json" \
	--ready-file "$XR_TMP/sub.ready"
xr_wait_file "$XR_TMP/sub.ready" 5 || xr_fail "the subscriber did not start: $(cat "$XR_TMP/sub.err")"
xr_peer "$XR_PY" "$TOOL" send --dst $XR_H4 --port 6500 --port 6501 --port 6502 --port 6510 \
	--port 6511 --port 6512 --confluent-port 6503 --schema-id 77 --count "$N" --seed $RANDOM \
	--out "$XR_TMP/sent.json" || xr_fail "datum_tool.py send failed"
xr_wait sub
xr_books md-n
for ch in md-d md-s md-c env-n env-d env-s; do xr_books $ch 0; done
for ch in md-n md-d md-s md-c env-n env-d env-s; do
	xr_curl GET /channels/$ch/stats >"$XR_TMP/stats-$ch.json"
done
xr_curl GET /channels/md-n/schema >"$XR_TMP/schema-md-n.json"
xr_stop "$XR_DP_PID" || xr_fail "xrelay-dataplane exited $? on SIGTERM"

# Both readers over every file.
find "$XR_OUT" -name '*.avro*' | sort >"$XR_TMP/files"
"$XR_PY" "$AVRO_READ" $(cat "$XR_TMP/files") >"$XR_TMP/py.jsonl" 2>"$XR_TMP/py.err" ||
	xr_fail "python3-avro could not read every file: $(cat "$XR_TMP/py.err")"
node "$XR_REPO/tests/util/avsc_read.js" "$NODE_DIR/node_modules" $(cat "$XR_TMP/files") \
	>"$XR_TMP/js.jsonl" 2>"$XR_TMP/js.err" ||
	xr_fail "avsc could not read every file: $(cat "$XR_TMP/js.err")"

out=$("$XR_PY" - "$XR_TMP" "$SCHEMA" <<'EOF'
import collections, json, os, sys
tmp, schema = sys.argv[1], json.loads(sys.argv[2])
sent = json.load(open(os.path.join(tmp, "sent.json")))

def files_of(path):
    """{file: (head, [records])} from a reader's JSON lines."""
    out, cur = {}, None
    for line in open(path):
        o = json.loads(line)
        if "file" in o and "meta" in o:
            cur = o["file"]
            out[cur] = (o, [])
        else:
            out[cur][1].append(o)
    return out

py, js = files_of(os.path.join(tmp, "py.jsonl")), files_of(os.path.join(tmp, "js.jsonl"))
ok = []
def check(cond, what):
    print(("1 " if cond else "0 ") + what)

check(set(py) == set(js) and all(py[f][1] == js[f][1] for f in py),
      "python3-avro and avsc read the same %d files and the same %d records" %
      (len(py), sum(len(v[1]) for v in py.values())))

def records(prefix):
    """Records of the files of one shard name prefix (the channel's dir, base name)."""
    recs, codecs, schemas = [], set(), set()
    for f, (head, rs) in py.items():
        base = os.path.basename(f)
        if base.startswith(prefix + "-q"):
            recs += rs
            codecs.add(head["codec"])
            schemas.add(head["meta"]["avro.schema"])
    return recs, codecs, schemas

def key(r):
    return json.dumps(r, sort_keys=True)

bad_hex = [h for v in sent["bad"].values() for h in v]
stream = sent["good_hex"] + bad_hex
for ch, codec, conf in (("md-n", "null", False), ("md-d", "deflate", False),
                        ("md-s", "snappy", False), ("md-c", "snappy", True)):
    recs, codecs, schemas = records(ch)
    check(sorted(map(key, recs)) == sorted(map(key, sent["good"])),
          "%s: its files hold the %d good datums, every field as sent" % (ch, len(sent["good"])))
    check(codecs == {codec} and all(json.loads(s) == schema for s in schemas),
          "%s: codec %s, the header's schema is the channel's" % (ch, codec))
    rej, rcodecs, rschemas = records(ch + "-rejected")
    want = [h for v in (sent["confluent"]["bad"] if conf else sent["bad"]).values() for h in v]
    check(sorted(r["payload"] for r in rej) == sorted(want),
          "%s: its -rejected files hold the %d broken datagrams byte for byte (envelopes)" %
          (ch, len(want)))
    st = json.load(open(os.path.join(tmp, "stats-%s.json" % ch)))
    classes = sent["confluent"]["bad"] if conf else sent["bad"]
    byclass = {k: len(v) for k, v in classes.items()}
    good_bytes = sum(len(h) // 2 for h in sent["good_hex"])
    check(st["recorded_bytes"] == good_bytes,
          "%s: recorded_bytes %d: the datums' bytes (%d), prefix stripped" %
          (ch, st["recorded_bytes"], good_bytes))
    check(st["recorded_packets"] == len(sent["good"]) and st["rejected_packets"] == len(want)
          and all(st["rejected"][k] == n for k, n in byclass.items())
          and sum(st["rejected"].values()) == len(want),
          "%s: recorded_packets %d, rejected_packets %d, by reason %s" %
          (ch, st["recorded_packets"], st["rejected_packets"],
           {k: v for k, v in st["rejected"].items() if v}))
for ch, codec in (("env-n", "null"), ("env-d", "deflate"), ("env-s", "snappy")):
    recs, codecs, _ = records(ch)
    check(codecs == {codec} and sorted(r["payload"] for r in recs) == sorted(stream),
          "%s: codec %s, all %d datagrams in its files" % (ch, codec, len(stream)))
check(json.load(open(os.path.join(tmp, "schema-md-n.json"))) == schema,
      "GET /channels/md-n/schema is the schema POSTed")
sub = json.load(open(os.path.join(tmp, "sub.json")))
check(sorted(sub) == sorted(stream),
      "the subscriber of md-n got all %d datagrams, good and broken (%d)" %
      (len(stream), len(sub)))
EOF
)
while read -r flag what; do
	xr_soft '[ "$flag" = 1 ]' "$what"
done <<<"$out"
xr_soft_verdict
xr_pass "datum channels: $N good datums recorded verbatim under their schema, broken ones rejected and counted by reason, every file read alike by python3-avro and avsc in all three codecs"
