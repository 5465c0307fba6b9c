#!/bin/bash
# SPDX-License-Identifier: MIT
# The status page at / in a real browser (Debian's headless chromium driven by puppeteer-core,
# tests/web/status_page.mjs), against a real dataplane on a veth pair while traffic flows.
#
# Two xrelay-api servers on the same pins: one without a token for this script's helpers, one
# with --token-file that the browser uses. Checked here with curl: GET and HEAD / answer 200
# without the token, text/html with a Content-Security-Policy that allows no inline code but the
# page's own (by hash) and no other origin, and the page holds no data (no channel name, no
# token); /stats still needs the token. Checked in the browser: the page asks for the token,
# refuses a wrong one, keeps the right one in sessionStorage (a reload does not ask again); the
# totals, drops, destinations and queues shown equal the /stats answer the page rendered, the
# rates its deltas and about the rate sent, the fragment drops highlighted while they move; at
# rest the rates are 0; no request leaves the server, no CSP violation; and on a 390 px phone
# screen the page is no wider than the screen. Then the books balance and the numbers shown at
# rest are those curl reads. Screenshots: $BUILD/status-page.png and status-page-phone.png.
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NODE_DIR=$BUILD/node-web
# Before xr_begin: its namespaces have no route to the package registries.
if [ -z "${XR_INNER:-}" ]; then
	if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" = 0 ]; then
		echo "$XR_NAME: installing chromium (apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 ||
			{ apt-get update -qq &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	fi
	[ -x "$CHROMIUM" ] || xr_skip "$CHROMIUM is not installed and apt-get install chromium failed"
	sh "$XR_REPO/tests/api/npm-setup.sh" "$NODE_DIR" "$XR_REPO/tests/web/package.json" ||
		xr_skip "puppeteer-core could not be installed into $NODE_DIR"
fi
xr_begin 75 "$@"
xr_need_tools
xr_need_dataplane

xr_veth
RATE=$(xr_rate 2000)
CPUS=()
[ "$(nproc)" -ge 2 ] && CPUS=(--cpus 1)
xr_api
xr_dataplane --xdp-mode native "${CPUS[@]}"
TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$XR_TMP/token"
chmod 600 "$XR_TMP/token"
API2=http://127.0.0.1:8081
"$XR_API_BIN" --listen 127.0.0.1:8081 --pin-dir "$XR_PIN" --token-file "$XR_TMP/token" \
	>"$XR_TMP/api2.log" 2>&1 &
XR_PIDS+=($!)
for i in $(seq 100); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$API2/healthz")" = 401 ] && break
	sleep 0.05
done
xr_channel_create '{"name": "feed-a", "port": 6400, "addr": "'$XR_H4'", "destinations": [
	{"addr": "239.40.0.7", "port": 7400, "ttl": 1, "interface": "'"$XR_H"'"}]}'
xr_channel_create '{"name": "feed-b", "port": 6401}'

# --- the page over HTTP, without the token -------------------------------------------------------
code=$(curl -s -D "$XR_TMP/page.h" -o "$XR_TMP/page.html" -w '%{http_code}' "$API2/")
hdr() { grep -i "^$1:" "$XR_TMP/page.h" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
csp=$(hdr Content-Security-Policy)
xr_check '[ "$code" = 200 ] && [ "$(hdr Content-Type)" = "text/html; charset=utf-8" ]' \
	"GET / without the token: 200 text/html" "$code $(hdr Content-Type)"
csp_ok=0
case $csp in "default-src 'none'; script-src 'sha256-"*"'; style-src 'sha256-"*) csp_ok=1 ;; esac
grep -q unsafe <<<"$csp" && csp_ok=0
grep -q "connect-src 'self';" <<<"$csp" || csp_ok=0
xr_check '[ $csp_ok = 1 ]' \
	"Content-Security-Policy: nothing by default, the page's own script by hash, fetches to this server only" "$csp"
xr_check '[ "$(hdr X-Content-Type-Options)" = nosniff ] && [ "$(hdr Cache-Control)" = no-store ]' \
	"X-Content-Type-Options: nosniff, Cache-Control: no-store"
xr_check '! grep -q -e feed-a -e "$TOKEN" -e "$XR_H" "$XR_TMP/page.html"' \
	"the page holds no data: no channel name, interface or token in it"
xr_check '! grep -q -E "(src|href)=\"(https?:)?//" "$XR_TMP/page.html"' "the page loads nothing from elsewhere"
code=$(curl -s -I -o "$XR_TMP/head.h" -w '%{http_code}' "$API2/")
xr_check '[ "$code" = 200 ]' "HEAD / without the token: 200"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API2/stats")
xr_check '[ "$code" = 401 ]' "GET /stats without the token still 401" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API2/")
xr_check '[ "$code" = 401 ]' "POST / without the token: 401 (only GET and HEAD are open)" "$code"

# --- traffic, and the browser ---------------------------------------------------------------------
xr_bg gen nsenter --net=/run/netns/"$XR_NS" taskset -c 0 "$UDPGEN" --dst $XR_H4 --port 6400 \
	--src-port 47100 --count $((RATE * 40)) --rate "$RATE" --max-len 300
# Datagrams of 3000 bytes over a 1500-byte MTU leave as fragments: the first is the channel's
# and a counted drop (cause fragments), four a second.
xr_bg frags nsenter --net=/run/netns/"$XR_NS" "$XR_PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    s.sendto(b"f" * 3000, ("'$XR_H4'", 6400))
    time.sleep(0.25)'
xr_wait_stats feed-a rx_packets 1 5 || xr_fail "no traffic reached feed-a"

rm -f "$XR_TMP/stop"
xr_bg browser env XR_URL=$API2/ XR_TOKEN="$TOKEN" XR_WRONG_TOKEN=wrong-token-0123456789 \
	XR_CHANNEL=feed-a XR_RATE="$RATE" XR_STOP_FILE="$XR_TMP/stop" XR_SHOTS="$BUILD" \
	XR_NODE="$NODE_DIR" XR_CHROMIUM="$CHROMIUM" node "$XR_REPO/tests/web/status_page.mjs"
for i in $(seq 600); do
	[ -e "$XR_TMP/stop" ] && break
	xr_alive "${XR_BG[browser]}" || break
	sleep 0.1
done
xr_stop "${XR_BG[gen]}"
xr_stop "${XR_BG[frags]}"
xr_wait browser
rc=$?
sed "s/^/$XR_NAME: browser: /" "$XR_TMP/browser.out" | grep -v '^.*: browser: {'
[ -s "$XR_TMP/browser.err" ] && sed "s/^/$XR_NAME: browser stderr: /" "$XR_TMP/browser.err" | tail -n 20
xr_check '[ $rc = 0 ]' "every check in the browser passed" "$(grep -c 'NOT OK' "$XR_TMP/browser.out") failed"

# --- at rest: the books, and what the page showed is what curl reads --------------------------------
xr_books feed-a
shown=$(grep '^{' "$XR_TMP/browser.out" | tail -n 1)
st=$(xr_curl GET /channels/feed-a/stats)
same=$("$XR_PY" -c '
import json, sys
shown, st = json.loads(sys.argv[1])["shown"], json.loads(sys.argv[2])
bad = [k for k, v in shown.items() if str(st.get(k)) != v]
print(" ".join(bad) if bad else "ok")' "$shown" "$st")
xr_soft '[ "$same" = ok ]' "the totals the page showed at rest equal curl's /channels/feed-a/stats" "$same"
frags=$(xr_json drops.fragments <<<"$st")
xr_soft '[ "$frags" -gt 0 ]' "fragment drops were counted ($frags)"
xr_soft_verdict
xr_pass "status page checked in chromium; screenshots in $BUILD/status-page.png and status-page-phone.png"
