#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Self-test of validate.mjs against openapi.yaml: hand-written responses that follow the
# contract must pass, and each of several wrong ones must fail on its own (so the validator is
# shown able to fail). Installs the pinned packages first (npm-setup.sh).
# Prints one line per case and "N passed, N failed"; exit 0 only when every case came out right.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
case ${BUILD:-build} in
/*) BUILD_DIR=${BUILD} ;;
*) BUILD_DIR=$REPO/${BUILD:-build} ;;
esac
NODE_DIR=${XRELAY_NODE_DIR:-$BUILD_DIR/node}
DOC=$REPO/openapi.yaml

sh "$HERE/npm-setup.sh" "$NODE_DIR"
export XRELAY_NODE_DIR="$NODE_DIR"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

pass=0
fail=0

# A channel as the server returns it, for building cases.
CH='{"id":0,"name":"feed-a","port":5000,"addr":"239.1.1.1","record":true,"destinations":[{"addr":"239.2.2.2","port":6000,"every":1,"ttl":1,"interface":"eth0"}],"retention":{"max_age":null,"max_bytes":null},"created_at":"2026-11-24T04:05:06.123456789Z","generation":1,"format":"envelope","codec":null,"prefix":null}'
CH_NO_CREATED='{"id":0,"name":"feed-a","port":5000,"addr":"239.1.1.1","record":true,"destinations":[],"retention":{"max_age":null,"max_bytes":null},"generation":1,"format":"envelope","codec":null,"prefix":null}'
DROPS='{"redirect_miss":0,"fragments":0,"ring_full":5,"no_buffer":0,"no_writer":0,"write_failed":0,"buffer_full":0,"record_failed":0,"dataplane_died":0,"truncated":0,"socket_overflow":0}'
COUNTERS='{"rx_packets":10,"rx_bytes":1000,"recorded_packets":5,"recorded_bytes":320,"not_recorded_packets":0,"rejected_packets":0,"sent_packets":5,"sent_bytes":320,"write_errors":0,"send_errors":0,"send_queue_full":0,"files_deleted":0,"bytes_deleted":0,"dropped_packets":5,"drops":'$DROPS',"rejected":{"truncated":0,"trailing_bytes":0,"bad_union":0,"bad_length":0,"bad_enum":0,"bad_varint":0,"bad_prefix":0,"too_deep":0,"bad_value":0},"destinations":[{"addr":"239.2.2.2","port":6000,"selected":5,"sent_packets":5,"sent_bytes":320,"send_errors":0,"send_queue_full":0,"dataplane_died":0}]}'
DP='{"running":false,"pid":null,"mode":"none","mode_why":null,"socket_buffers":null,"interface":null,"queues":0,"heartbeat_age_ms":null,"zero_copy":false}'
XDP='{"packets":0,"pass_not_ip":0,"pass_not_udp":0,"pass_no_match":0,"pass_frag":0,"pass_malformed":0,"redirected":0,"meta_fail":0}'
P404='{"type":"https://xrelay.dev/problems/not-found","title":"Not Found","status":404,"detail":"No channel is named \"nope\"."}'
P405='{"type":"https://xrelay.dev/problems/method-not-allowed","title":"Method Not Allowed","status":405,"detail":"/channels accepts GET and POST."}'
P412='{"type":"https://xrelay.dev/problems/precondition-failed","title":"Precondition Failed","status":412,"detail":"channel named feed-a is not at a version If-Match names."}'
P422='{"type":"https://xrelay.dev/problems/unprocessable-content","title":"Unprocessable Content","status":422,"detail":"ttl must be an integer from 1 to 255.","field":"destinations/0/ttl"}'
AVRO='{"type":"record","name":"Packet","namespace":"xrelay","fields":[{"name":"seq","type":"long"},{"name":"ts_ns","type":"long"},{"name":"src_addr","type":"bytes"},{"name":"src_port","type":"int"},{"name":"dst_addr","type":"bytes"},{"name":"dst_port","type":"int"},{"name":"payload","type":"bytes"}]}'

# expect NAME pass|fail JSONL [NFAILED]: runs the validator on the JSONL (one response a line)
# and checks its exit code and its count line: "pass" = exit 0 and none failed; "fail" = exit 1
# and NFAILED (default: every line) failed.
expect() {
	name=$1 want=$2
	printf '%s\n' "$3" >"$TMP/case.jsonl"
	set +e
	node "$HERE/validate.mjs" "$DOC" "$TMP/case.jsonl" >"$TMP/out" 2>&1
	rc=$?
	set -e
	n=$(grep -c . "$TMP/case.jsonl" || true)
	ok=0
	case "$want:$rc" in
	pass:0) grep -qx "$n responses validated, 0 failed" "$TMP/out" && ok=1 ;;
	fail:1) grep -qx "$n responses validated, ${4:-$n} failed" "$TMP/out" && ok=1 ;;
	esac
	if [ "$ok" = 1 ]; then
		pass=$((pass + 1))
		first=$(grep '^FAIL' "$TMP/out" | head -n 1 | cut -c1-200)
		echo "ok   $name (must $want)${first:+: $first}"
	else
		fail=$((fail + 1))
		echo "FAIL $name: expected $want, validator exit $rc:"
		sed 's/^/     /' "$TMP/out"
	fi
}

expect "correct responses" pass "$(cat <<EOF
{"method":"POST","path":"/channels","status":201,"content_type":"application/json","headers":{"location":"/channels/feed-a","etag":"\"1\""},"body":$CH}
{"method":"POST","path":"/v1/channels","status":201,"content_type":"application/json; charset=utf-8","headers":{"Location":"/v1/channels/feed-a","ETag":"\"1\""},"body":$CH}
{"method":"GET","path":"/channels","status":200,"content_type":"application/json","body":{"channels":[$CH]}}
{"method":"GET","path":"/v1/channels/feed-a?pretty=1","status":200,"content_type":"application/json","body":$CH}
{"method":"PATCH","path":"/channels/feed-a","status":200,"content_type":"application/json","headers":{"etag":"\"1\""},"body":$CH}
{"method":"PATCH","path":"/channels/feed-a","status":412,"content_type":"application/problem+json","headers":{},"body":$P412}
{"method":"DELETE","path":"/v1/channels/feed-a","status":204,"content_type":null,"headers":{},"body":null}
{"method":"GET","path":"/channels/feed-a/schema","status":200,"content_type":"application/json","body":$AVRO}
{"method":"GET","path":"/v1/channels/feed-a/stats","status":200,"content_type":"application/json","body":$COUNTERS}
{"method":"GET","path":"/stats","status":200,"content_type":"application/json","body":{"dataplane":$DP,"xdp":$XDP,"sockets":[{"queue":0,"rx_frames":10,"rx_dropped":0,"rx_ring_full":0,"rx_invalid_descs":0,"rx_fill_ring_empty":0,"tx_invalid_descs":0,"rx_bad_channel":0}],"channels":{"feed-a":$COUNTERS}}}
{"method":"GET","path":"/metrics","status":200,"content_type":"text/plain; version=0.0.4","body":"# HELP xrelay_dataplane_running Whether the dataplane runs.\n# TYPE xrelay_dataplane_running gauge\nxrelay_dataplane_running 0\nxrelay_channel_drops_total{channel=\"feed-a\",cause=\"ring_full\"} 5\n"}
{"method":"GET","path":"/healthz","status":200,"content_type":"application/json","body":{"status":"ok","dataplane":{"running":false,"heartbeat_age_ms":null},"maps":"ok"}}
{"method":"GET","path":"/channels/nope","status":404,"content_type":"application/problem+json","body":$P404}
{"method":"PUT","path":"/channels","status":405,"content_type":"application/problem+json","headers":{"allow":"GET, HEAD, POST"},"body":$P405}
{"method":"POST","path":"/v1/channels","status":422,"content_type":"application/problem+json","body":$P422}
{"method":"HEAD","path":"/v1/stats","status":200,"content_type":"application/json","headers":{},"body":null}
{"method":"OPTIONS","path":"/metrics","status":405,"content_type":"application/problem+json","headers":{"allow":"GET, HEAD"},"body":$P405}
EOF
)"

# Every response example in the document, as a response to a concrete request (required
# headers from their example or const), must pass too: the examples are part of the contract.
cat >"$TMP/examples.cjs" <<'EOF'
const path = require('path');
const [docPath, nodeDir] = process.argv.slice(2);
const req = require('module').createRequire(path.join(nodeDir, 'package.json'));
const doc = req('yaml').parse(require('fs').readFileSync(docPath, 'utf8'));
const ptr = (ref) => ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
const deref = (o) => { while (o && o.$ref) o = ptr(o.$ref); return o; };
for (const [tpl, item0] of Object.entries(doc.paths)) {
	const item = deref(item0);
	const concrete = tpl.replace(/\{name\}/g, 'feed-a');
	for (const m of ['get', 'put', 'post', 'delete', 'patch']) {
		if (!item[m]) continue;
		for (const [st, r0] of Object.entries(item[m].responses)) {
			const r = deref(r0);
			const headers = {};
			for (const [h, hd0] of Object.entries(r.headers || {})) {
				const hd = deref(hd0);
				const sc = deref(hd.schema) || {};
				let v = hd.example ?? sc.const;
				if (h === 'Location' && tpl.startsWith('/v1/')) v = '/v1' + v;
				if (v !== undefined) headers[h.toLowerCase()] = v;
			}
			// A 405 answers the methods a path does not list: send one it does not list.
			const method = st === '405' ? 'PUT' : m.toUpperCase();
			const contents = Object.entries(r.content || {});
			if (!contents.length)
				console.log(JSON.stringify({ method, path: concrete, status: Number(st), content_type: null, headers, body: null }));
			for (const [ct, media] of contents)
				for (const ex of Object.values(media.examples || {}))
					console.log(JSON.stringify({ method, path: concrete, status: Number(st), content_type: ct, headers, body: deref(ex).value }));
		}
	}
}
EOF
examples=$(node "$TMP/examples.cjs" "$DOC" "$NODE_DIR")
[ -n "$examples" ] || { echo "FAIL no examples found in $DOC"; exit 1; }
expect "every response example of the document ($(printf '%s\n' "$examples" | grep -c .))" pass "$examples"

expect "405 for a documented method" fail \
	'{"method":"GET","path":"/channels","status":405,"content_type":"application/problem+json","headers":{"allow":"GET, HEAD, POST"},"body":'"$P405"'}'
expect "wrong Allow value" fail \
	'{"method":"PUT","path":"/channels","status":405,"content_type":"application/problem+json","headers":{"allow":"GET"},"body":'"$P405"'}'
expect "channel with an extra member" fail \
	'{"method":"GET","path":"/channels/feed-a","status":200,"content_type":"application/json","body":{"id":0,"name":"feed-a","port":5000,"addr":null,"record":true,"destinations":[],"retention":{"max_age":null,"max_bytes":null},"created_at":"2026-11-24T04:05:06.123456789Z","generation":1,"state":"active"}}'
expect "created_at with 6 fraction digits" fail \
	'{"method":"GET","path":"/channels/feed-a","status":200,"content_type":"application/json","body":{"id":0,"name":"feed-a","port":5000,"addr":null,"record":true,"destinations":[],"retention":{"max_age":null,"max_bytes":null},"created_at":"2026-11-24T04:05:06.123456Z","generation":1,"format":"envelope","codec":null,"prefix":null}}'
expect "a good line and a bad one: the file fails" fail "$(printf '%s\n%s' \
	'{"method":"GET","path":"/channels","status":200,"content_type":"application/json","body":{"channels":[]}}' \
	'{"method":"GET","path":"/healthz","status":200,"content_type":"application/json","body":{"status":"ok"}}')" 1
expect "empty file" fail "" 0

expect "HEAD with a body" fail \
	'{"method":"HEAD","path":"/channels","status":200,"content_type":"application/json","body":{"channels":[]}}'
expect "channel without created_at" fail \
	'{"method":"POST","path":"/channels","status":201,"content_type":"application/json","headers":{"location":"/channels/feed-a"},"body":'"$CH_NO_CREATED"'}'
expect "undocumented status 418" fail \
	'{"method":"GET","path":"/channels/feed-a","status":418,"content_type":"application/problem+json","body":'"$P404"'}'
expect "problem without status" fail \
	'{"method":"GET","path":"/channels/nope","status":404,"content_type":"application/problem+json","body":{"type":"https://xrelay.dev/problems/not-found","title":"Not Found","detail":"No channel is named \"nope\"."}}'
expect "201 without Location" fail \
	'{"method":"POST","path":"/v1/channels","status":201,"content_type":"application/json","headers":{},"body":'"$CH"'}'
expect "channel without ETag" fail \
	'{"method":"GET","path":"/channels/feed-a","status":200,"content_type":"application/json","headers":{},"body":'"$CH"'}'
expect "ETag not a quoted generation" fail \
	'{"method":"PATCH","path":"/channels/feed-a","status":200,"content_type":"application/json","headers":{"etag":"W/\"1\""},"body":'"$CH"'}'
expect "412 on GET" fail \
	'{"method":"GET","path":"/channels/feed-a","status":412,"content_type":"application/problem+json","body":'"$P412"'}'
expect "405 without Allow" fail \
	'{"method":"PUT","path":"/channels","status":405,"content_type":"application/problem+json","headers":{},"body":'"$P405"'}'
expect "204 with a body" fail \
	'{"method":"DELETE","path":"/channels/feed-a","status":204,"content_type":"application/json","body":'"$CH"'}'
expect "JSON error as text/html" fail \
	'{"method":"GET","path":"/channels/nope","status":404,"content_type":"text/html","body":"<h1>Not Found</h1>"}'
expect "undocumented path" fail \
	'{"method":"GET","path":"/v2/channels","status":200,"content_type":"application/json","body":{"channels":[]}}'
expect "stats missing a drop cause" fail \
	'{"method":"GET","path":"/channels/feed-a/stats","status":200,"content_type":"application/json","body":{"rx_packets":0,"rx_bytes":0,"recorded_packets":0,"recorded_bytes":0,"not_recorded_packets":0,"sent_packets":0,"sent_bytes":0,"write_errors":0,"send_errors":0,"send_queue_full":0,"dropped_packets":0,"drops":{"redirect_miss":0}}}'
expect "404 problem saying 400" fail \
	'{"method":"GET","path":"/channels/nope","status":404,"content_type":"application/problem+json","body":{"type":"https://xrelay.dev/problems/bad-request","title":"Bad Request","status":400,"detail":"x"}}'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
