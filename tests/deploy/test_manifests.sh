#!/bin/bash
# SPDX-License-Identifier: MIT
# The fleet manifest (deploy/kubernetes/xrelay.yaml) without a cluster:
#  - tests/deploy/check.mjs: every object against the Kubernetes API schemas (npm
#    kubernetes-models, installed under $BUILD/node-deploy), no unknown field, broken copies
#    refused, and what the fleet needs (host network, capabilities, host paths, loopback API
#    with the Secret's token, readiness from /healthz, the Prometheus scrape of it);
#  - every flag the manifest gives the programs is one their --help lists;
#  - the readiness probes' own command lines, run against a real xrelay-api started with the
#    manifest's API flags (the token file in the temp dir, for the API and probes alike) and a
#    real dataplane on a veth pair: the API's probe passes; the dataplane's fails while no
#    dataplane runs and passes once one does.
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
MANIFEST=$XR_REPO/deploy/kubernetes/xrelay.yaml
NODE_DIR=$BUILD/node-deploy
# Before xr_begin: its namespaces have no route to the npm registry.
if [ -z "${XR_INNER:-}" ]; then
	sh "$XR_REPO/tests/api/npm-setup.sh" "$NODE_DIR" "$XR_REPO/tests/deploy/package.json" ||
		xr_skip "kubernetes-models could not be installed into $NODE_DIR"
fi
xr_begin 60 "$@"
xr_need_dataplane

node "$XR_REPO/tests/deploy/check.mjs" "$NODE_DIR" "$MANIFEST" >"$XR_TMP/check.out" 2>&1
rc=$?
grep -v -e '^flags: ' -e '^probe: ' "$XR_TMP/check.out" | sed "s/^/$XR_NAME: /"
xr_check '[ $rc = 0 ]' "the manifest passes the schema and fleet checks"

for prog in xrelay-dataplane xrelay-api; do
	flags=$(sed -n "s/^flags: $prog //p" "$XR_TMP/check.out")
	help=$("$BUILD/$prog" --help 2>&1)
	missing=""
	for f in $flags; do
		grep -q -e "^ *$f[ =]" -e "^ *$f\$" -e ", $f " <<<"$help" || missing="$missing $f"
	done
	xr_check '[ -n "$flags" ] && [ -z "$missing" ]' "$prog --help lists every flag the manifest gives it ($flags)" \
		"not listed:$missing"
done

# The probes as the kubelet runs them, in this test's own network namespace; the token file
# (the Secret's mount in the pod) in the temp dir instead, for the API and the probes alike.
TOKEN_FILE=/etc/xrelay/token/token
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$XR_TMP/token"
chmod 600 "$XR_TMP/token"
probe() { "$XR_PY" -c 'import json, subprocess, sys; sys.exit(subprocess.run(json.loads(sys.argv[1])).returncode)' \
	"$(sed -n "s/^probe: $1 //p" "$XR_TMP/check.out" | sed "s|$TOKEN_FILE|$XR_TMP/token|g")" >/dev/null 2>&1; }
# probe_until NAME: run probe NAME until it passes, 10 s at most (as the kubelet retries it).
probe_until() {
	local i
	for i in $(seq 100); do
		probe "$1" && return 0
		sleep 0.1
	done
	return 1
}
"$XR_API_BIN" --listen 127.0.0.1:8080 --pin-dir "$XR_PIN" --token-file "$XR_TMP/token" \
	>"$XR_TMP/api.log" 2>&1 &
XR_PIDS+=($!)
xr_check 'probe_until api' "the API's readiness probe passes against xrelay-api started with the manifest's flags"
xr_check '! probe dataplane' "the dataplane's readiness probe fails while no dataplane runs"
xr_veth
"$XR_DP_BIN" --iface "$XR_H" --out "$XR_OUT" --pin-dir "$XR_PIN" --xdp-mode auto >"$XR_TMP/dp.log" 2>&1 &
XR_PIDS+=($!)
xr_check 'probe_until dataplane' "the dataplane's readiness probe passes once xrelay-dataplane runs"
xr_pass "the fleet manifest is valid and its probes work"
