# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # (names used by the scripts that source this)
#
# Helpers for the end-to-end scenarios (tests/net/test_*.sh) and the demo: private namespaces,
# a veth pair into a named peer namespace, xrelay-api and xrelay-dataplane with private pins
# and output, curl and JSON helpers, and one trap that removes everything they made, also on
# failure, Ctrl-C or a timeout. Sourced by bash scripts; it runs nothing by itself.
#
# Layout of a run (xr_begin, xr_veth):
#   the test's own namespaces (unshare --mount --net --pid): a fresh sysfs and bpffs, lo up,
#     the veth's host side $XR_H (192.0.2.1/24, 2001:db8::1/64), xrelay-api on 127.0.0.1,
#     xrelay-dataplane on $XR_H;
#   a named netns $XR_NS (ip netns add, so nsenter --net=/run/netns/$XR_NS enters it; see
#     ENVIRONMENT.md: ip netns exec would hide the bpffs): the peer side $XR_P (192.0.2.2/24,
#     2001:db8::2/64), where udpgen sends from and udpsub listens.
# Addresses are TEST-NET only (192.0.2.0/24, 2001:db8::/64); neighbour entries are permanent
# both ways (an XDP program that redirects frames may eat ARP/ND).
#
# Environment: BUILD (default build) holds xrelay-api and xrelay-dataplane; XR_TOOLS (default
# $BUILD/net) holds udpgen and udpsub; XR_KEEP=1 keeps the temp dir (path printed); XR_MODE
# (xdp, socket or auto) is the dataplane's --mode (default: none given, i.e. auto), so every
# scenario runs in either backend; XR_IFACE overrides the interface it serves (default $XR_H).

XR_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XR_NET=$XR_REPO/tests/net
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$XR_REPO/$BUILD ;; esac
XR_TOOLS=${XR_TOOLS:-$BUILD/net}
case $XR_TOOLS in /*) ;; *) XR_TOOLS=$XR_REPO/$XR_TOOLS ;; esac
XR_API_BIN=$BUILD/xrelay-api
XR_DP_BIN=$BUILD/xrelay-dataplane

# A zero-loss rate for a test, in datagrams a second: $1, or a quarter of it when the build is
# sanitized (SANITIZE set, as make passes it), where every component runs several times slower.
xr_rate() {
	if [ -n "${SANITIZE:-}" ]; then echo $(($1 / 4)); else echo "$1"; fi
}
UDPGEN=$XR_TOOLS/udpgen
UDPSUB=$XR_TOOLS/udpsub
XR_PY=/usr/bin/python3
VERIFY=$XR_NET/verify_avro.py
AVRO_READ=$XR_REPO/tests/util/avro_read.py
XR_NAME=${XR_NAME:-$(basename "$0" .sh)${XR_MODE:+-$XR_MODE}}
XR_MODE=${XR_MODE:-}

# Addresses of the pair.
XR_H4=192.0.2.1
XR_P4=192.0.2.2
XR_H6=2001:db8::1
XR_P6=2001:db8::2
XR_HMAC=02:00:5e:10:00:01
XR_PMAC=02:00:5e:10:00:02

XR_SOFT_FAILS=()	# what xr_soft found wrong
XR_PIDS=()	# every process started here, killed by the trap (and only these)
XR_MOUNTS=()	# file systems mounted here (xr_tmpfs), unmounted by the trap
XR_TMP=
XR_NS=
XR_H=
XR_P=
XR_API_PID=
XR_DP_PID=
XR_DONE=
XR_VERBOSE=${XR_VERBOSE:-0}

# --- verdicts ----------------------------------------------------------------------------------

xr_log() { printf '%s: %s\n' "$XR_NAME" "$*"; }

# Tail of the logs of what we started, for a failure.
xr__logs() {
	local f
	for f in "$XR_TMP"/dp*.log "$XR_TMP"/api.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $(basename "$f"):"
		tail -n 15 "$f"
	done
}

xr_pass() {
	XR_DONE=pass
	echo "$XR_NAME: PASS - $*"
	exit 0
}

xr_fail() {
	local IFS=';'
	XR_DONE=fail
	if [ ${#XR_SOFT_FAILS[@]} -gt 0 ] && [ "$1" = "${1#* check(s) failed: }" ]; then
		echo "$XR_NAME: FAIL - $* (and before: ${XR_SOFT_FAILS[*]})"
	else
		echo "$XR_NAME: FAIL - $*"
	fi
	[ -n "$XR_TMP" ] && xr__logs >&2
	exit 1
}

xr_skip() {
	XR_DONE=skip
	echo "$XR_NAME: SKIP - $*"
	exit 77
}

# --- set-up and the trap -----------------------------------------------------------------------

xr__rand() { od -An -N3 -tx1 /dev/urandom | tr -d ' \n'; }

# xr_begin LIMIT_SECONDS "$@": run the rest of the script in private mount, net and pid
# namespaces (re-executing it under unshare), with a fresh sysfs (so /sys/class/net shows this
# namespace) and a fresh bpffs on /sys/fs/bpf, lo up, a temp dir, the trap, and a watchdog
# that fails the test after LIMIT_SECONDS.
xr_begin() {
	local limit=$1 t
	shift
	[ "$(id -u)" = 0 ] || xr_skip "needs root (namespaces, XDP, bpffs)"
	if [ -z "${XR_INNER:-}" ]; then
		for t in unshare nsenter ip ethtool curl taskset; do
			command -v $t >/dev/null 2>&1 || xr_skip "$t is not installed"
		done
		[ -x "$XR_PY" ] && "$XR_PY" -c 'import avro' 2>/dev/null ||
			xr_skip "$XR_PY with python3-avro is not installed"
		# --kill-child: if unshare itself is killed, the script still gets TERM (its trap).
		# shellcheck disable=SC2093 # exec fails only when unshare cannot run
		XR_INNER=1 exec unshare --mount --net --pid --fork --mount-proc --propagation private \
			--kill-child=TERM bash "$0" "$@"
		xr_skip "unshare --mount --net --pid failed"
	fi
	trap 'xr__cleanup' EXIT
	trap 'xr__signal INT' INT
	trap 'xr__signal TERM' TERM
	trap 'xr__signal HUP' HUP
	mount -t sysfs sysfs /sys 2>/dev/null || xr_skip "cannot mount a private sysfs"
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || xr_skip "cannot mount a private bpffs"
	ip link set lo up || xr_skip "ip link set lo up failed"
	XR_TMP=$(mktemp -d /tmp/xrelay-net.XXXXXX) || xr_fail "mktemp failed"
	XR_OUT=$XR_TMP/out
	XR_PIN=/sys/fs/bpf/xrelay-$(xr__rand)
	XR_API_PORT=8080
	XR_API=http://127.0.0.1:$XR_API_PORT
	mkdir -p "$XR_OUT"
	if [ "$limit" -gt 0 ]; then
		(
			sleep "$limit"
			echo "$XR_NAME: watchdog: over the time limit of $limit s" >&2
			kill -TERM $$
		) &
		XR_PIDS+=($!)
	fi
}

xr__signal() {
	trap - "$1"
	[ -n "$XR_DONE" ] && exit 1
	XR_DONE=fail
	echo "$XR_NAME: FAIL - interrupted by SIG$1"
	[ -n "$XR_TMP" ] && xr__logs >&2
	exit 1
}

# 0 when pid is alive and not a zombie.
xr_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Stop one process we started: TERM, up to 5 s, then KILL. Returns its exit status.
xr_stop() {
	local pid=$1 i
	if xr_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 50); do
			xr_alive "$pid" || break
			sleep 0.1
		done
		xr_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

xr__cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM HUP
	# Newest first: the dataplane before the API, both before the watchdog.
	for ((i = ${#XR_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${XR_PIDS[i]}
		xr_alive "$pid" && xr_stop "$pid"
	done
	for ((i = ${#XR_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${XR_MOUNTS[i]}" 2>/dev/null
	done
	[ -n "$XR_NS" ] && ip netns del "$XR_NS" 2>/dev/null
	[ -n "$XR_H" ] && ip link del "$XR_H" 2>/dev/null
	mountpoint -q /sys/fs/bpf && umount -l /sys/fs/bpf 2>/dev/null
	if [ -n "$XR_TMP" ] && [ -d "$XR_TMP" ]; then
		if [ "${XR_KEEP:-0}" = 1 ]; then
			echo "$XR_NAME: kept $XR_TMP" >&2
		else
			rm -rf "$XR_TMP"
		fi
	fi
	exit "$rc"
}

# xr_tmpfs DIR SIZE: a tmpfs of SIZE (as mount takes it: 32m) on DIR (made if missing), in the
# test's private mount namespace; the trap unmounts it.
xr_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o size="$2",mode=0755 xrelay-test "$1" ||
		xr_skip "cannot mount a tmpfs on $1"
	XR_MOUNTS+=("$1")
}

# --- the veth pair -----------------------------------------------------------------------------

# In the peer namespace: xr_peer CMD [ARGS...]
xr_peer() { nsenter --net=/run/netns/"$XR_NS" "$@"; }

# xr_veth [QUEUES]: the pair and the peer namespace; QUEUES rx/tx queues on both sides
# (default 1). GRO on at both ends (frames redirected into a veth need it or XDP to arrive) and
# tx checksum offload off, so frames carry real checksums like on a wire.
xr_veth() {
	local q=${1:-1} r qa=()
	r=$(xr__rand)
	XR_NS=xrn$r
	XR_H=xrh$r
	XR_P=xrp$r
	[ "$q" -gt 1 ] && qa=(numtxqueues "$q" numrxqueues "$q")
	ip netns add "$XR_NS" || xr_fail "ip netns add $XR_NS failed"
	# No DAD: the IPv6 addresses work at once (both namespaces are new, nothing else uses them).
	sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 >/dev/null
	xr_peer sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
		>/dev/null
	ip link add "$XR_H" address $XR_HMAC "${qa[@]}" type veth \
		peer name "$XR_P" address $XR_PMAC "${qa[@]}" ||
		xr_fail "ip link add $XR_H type veth failed"
	ip link set "$XR_P" netns "$XR_NS" || xr_fail "moving $XR_P to $XR_NS failed"
	ip addr add $XR_H4/24 dev "$XR_H"
	ip addr add $XR_H6/64 dev "$XR_H" nodad
	ip -n "$XR_NS" addr add $XR_P4/24 dev "$XR_P"
	ip -n "$XR_NS" addr add $XR_P6/64 dev "$XR_P" nodad
	ip link set "$XR_H" up
	ip -n "$XR_NS" link set lo up
	ip -n "$XR_NS" link set "$XR_P" up
	ip neigh replace $XR_P4 lladdr $XR_PMAC dev "$XR_H" nud permanent
	ip neigh replace $XR_P6 lladdr $XR_PMAC dev "$XR_H" nud permanent
	ip -n "$XR_NS" neigh replace $XR_H4 lladdr $XR_HMAC dev "$XR_P" nud permanent
	ip -n "$XR_NS" neigh replace $XR_H6 lladdr $XR_HMAC dev "$XR_P" nud permanent
	ethtool -K "$XR_H" gro on tx off >/dev/null 2>&1
	xr_peer ethtool -K "$XR_P" gro on tx off >/dev/null 2>&1
	# With several queues, a frame sent from CPU k leaves on tx queue k (XPS), so it arrives on
	# rx queue k of the other side; without XPS the flow hash picks one queue for a flow. The
	# peer's sysfs is only visible from its own netns, hence ip netns exec (bpffs not needed).
	if [ "$q" -gt 1 ]; then
		local k
		for ((k = 0; k < q; k++)); do
			printf '%x' $((1 << (k % $(nproc)))) >"/sys/class/net/$XR_H/queues/tx-$k/xps_cpus"
			ip netns exec "$XR_NS" sh -c "printf '%x' $((1 << (k % $(nproc)))) \
				>/sys/class/net/$XR_P/queues/tx-$k/xps_cpus" ||
				xr_fail "cannot set XPS on $XR_P tx-$k"
		done
	fi
	# Multicast out of each side goes to the veth by default (tools set the interface too).
	ip route add 239.0.0.0/8 dev "$XR_H" 2>/dev/null
	ip -n "$XR_NS" route add 239.0.0.0/8 dev "$XR_P" 2>/dev/null
	[ "$XR_VERBOSE" = 1 ] && xr_log "veth $XR_H <-> $XR_NS/$XR_P, $q queue(s)"
	return 0
}

# --- the programs ------------------------------------------------------------------------------

# xr_need_tools: skip unless udpgen and udpsub are built.
xr_need_tools() {
	[ -x "$UDPGEN" ] && [ -x "$UDPSUB" ] ||
		xr_skip "udpgen/udpsub not built in $XR_TOOLS (make builds them into \$BUILD/net)"
}

# xr_need_dataplane: skip unless both programs are built.
xr_need_dataplane() {
	[ -x "$XR_API_BIN" ] || xr_skip "$XR_API_BIN is not built"
	[ -x "$XR_DP_BIN" ] || xr_skip "$XR_DP_BIN is not built (yet)"
}

# xr_api: start xrelay-api on 127.0.0.1:8080 of this namespace with the private pins.
xr_api() {
	local i
	"$XR_API_BIN" --listen 127.0.0.1:$XR_API_PORT --pin-dir "$XR_PIN" >"$XR_TMP/api.log" 2>&1 &
	XR_API_PID=$!
	XR_PIDS+=("$XR_API_PID")
	for i in $(seq 100); do
		curl -s -o /dev/null "$XR_API/healthz" && return 0
		kill -0 $XR_API_PID 2>/dev/null || xr_fail "xrelay-api exited at start"
		sleep 0.05
	done
	xr_fail "xrelay-api did not answer /healthz within 5 s"
}

# xr_dataplane [ARGS...]: start xrelay-dataplane on $XR_H (private pins and output; --mode
# $XR_MODE when set; XDP flags such as --xdp-mode mean nothing in socket mode) and wait
# until /healthz says it runs (10 s). Its log is $XR_TMP/dp.log (dp2.log, ... on restarts).
xr_dataplane() {
	local i log n=1
	while [ -e "$XR_TMP/dp$([ $n -gt 1 ] && echo $n).log" ]; do n=$((n + 1)); done
	log=$XR_TMP/dp$([ $n -gt 1 ] && echo $n).log
	"$XR_DP_BIN" --iface "${XR_IFACE:-$XR_H}" --out "$XR_OUT" --pin-dir "$XR_PIN" \
		${XR_MODE:+--mode "$XR_MODE"} "$@" >"$log" 2>&1 &
	XR_DP_PID=$!
	XR_PIDS+=("$XR_DP_PID")
	for i in $(seq 100); do
		if [ "$(xr_get /healthz dataplane.running)" = true ]; then
			return 0
		fi
		kill -0 $XR_DP_PID 2>/dev/null || {
			wait $XR_DP_PID
			xr_fail "xrelay-dataplane exited at start (status $?)"
		}
		sleep 0.1
	done
	xr_fail "xrelay-dataplane not running per /healthz after 10 s"
}

# xr_bg NAME CMD...: run CMD in the background, stdout to $XR_TMP/NAME.out, stderr to
# $XR_TMP/NAME.err; its pid is in XR_BG[NAME]. xr_wait NAME: wait for it, return its status.
declare -A XR_BG
xr_bg() {
	local name=$1
	shift
	"$@" >"$XR_TMP/$name.out" 2>"$XR_TMP/$name.err" &
	XR_BG[$name]=$!
	XR_PIDS+=($!)
}

xr_wait() {
	wait "${XR_BG[$1]}"
}

# xr_wait_file FILE SECONDS: wait until FILE exists.
xr_wait_file() {
	local i
	for i in $(seq $(($2 * 20))); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# xr_sub NAME ARGS...: udpsub in the peer namespace, in the background; returns once it has
# joined (its --ready-file). xr_sub_here: the same in the test's (the host side's) namespace.
xr_sub() {
	xr__sub "$1" nsenter --net=/run/netns/"$XR_NS" "${@:2}"
}

xr_sub_here() {
	xr__sub "$1" "${@:2}"
}

xr__sub() {
	local name=$1 ns=()
	shift
	[ "$1" = nsenter ] && ns=("$1" "$2") && shift 2
	rm -f "$XR_TMP/$name.ready"
	xr_bg "$name" "${ns[@]}" "$UDPSUB" --ready-file "$XR_TMP/$name.ready" "$@"
	xr_wait_file "$XR_TMP/$name.ready" 5 ||
		xr_fail "udpsub $name not ready: $(cat "$XR_TMP/$name.err")"
}

# --- HTTP and JSON -----------------------------------------------------------------------------

# xr_curl METHOD PATH [JSON]: the body goes to stdout, the status into XR_STATUS (a file, so
# it survives $(...)). With XR_ECHO=1 the command is printed first, as a user would type it.
xr_curl() {
	local m=$1 p=$2 body=${3:-} args
	args=(-s -o "$XR_TMP/curl.body" -w '%{http_code}' -X "$m")
	if [ -n "$body" ]; then
		if [ "$m" = PATCH ]; then
			args+=(-H 'Content-Type: application/merge-patch+json')
		else
			args+=(-H 'Content-Type: application/json')
		fi
		args+=(-d "$body")
	fi
	if [ "${XR_ECHO:-0}" = 1 ]; then
		if [ -n "$body" ]; then
			printf "\$ curl -X %s %s%s -H 'Content-Type: application/json' -d '%s'\n" \
				"$m" "$XR_API" "$p" "$body" >&2
		elif [ "$m" = GET ]; then
			printf '$ curl %s%s\n' "$XR_API" "$p" >&2
		else
			printf '$ curl -X %s %s%s\n' "$m" "$XR_API" "$p" >&2
		fi
	fi
	curl "${args[@]}" "$XR_API$p" >"$XR_TMP/curl.status" 2>/dev/null ||
		echo 000 >"$XR_TMP/curl.status"
	cat "$XR_TMP/curl.body" 2>/dev/null
}

xr_status() { cat "$XR_TMP/curl.status"; }

# xr_json PATH [PATH...] < JSON: the values at dotted paths (a.b.c; numbers index arrays), one
# a line; true/false/null as JSON spells them; "missing" for a path that is not there.
xr_json() {
	"$XR_PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    d = None
for p in sys.argv[1:]:
    v = d
    for k in p.split(".") if p else []:
        if isinstance(v, list) and k.isdigit() and int(k) < len(v):
            v = v[int(k)]
        elif isinstance(v, dict) and k in v:
            v = v[k]
        else:
            v = "missing"
            break
    print(v if isinstance(v, str) else json.dumps(v))
' "$@"
}

# xr_get PATH JSONPATH: GET PATH and print one value of the answer.
xr_get() { xr_curl GET "$1" | xr_json "$2"; }

# xr_channel_create JSON: POST /channels, fail the test unless 201.
xr_channel_create() {
	local out
	out=$(xr_curl POST /channels "$1")
	[ "$(xr_status)" = 201 ] || xr_fail "POST /channels answered $(xr_status): $out"
}

# xr_now_ns: CLOCK_REALTIME in nanoseconds.
xr_now_ns() { date +%s%N; }

# xr_check COND WHAT [DETAIL]: print "ok: WHAT" when the shell expression COND (eval'd) holds,
# else fail the test with "WHAT: DETAIL".
xr_check() {
	eval "$1" || xr_fail "$2${3:+: $3}"
	xr_log "ok: $2"
}

# xr_soft COND WHAT [DETAIL]: like xr_check, but a failure is printed and remembered and the
# test goes on (to say everything that is wrong at once); xr_soft_verdict fails if any failed.
xr_soft() {
	if eval "$1"; then
		xr_log "ok: $2"
	else
		xr_log "NOT OK: $2${3:+: $(tr -s ' \n' ' ' <<<"$3")}"
		XR_SOFT_FAILS+=("$2")
	fi
}

xr_soft_verdict() {
	local IFS=';'
	[ ${#XR_SOFT_FAILS[@]} = 0 ] || xr_fail "${#XR_SOFT_FAILS[@]} check(s) failed: ${XR_SOFT_FAILS[*]}"
}

# xr_wait_stats CHANNEL FIELD VALUE SECONDS: poll /channels/CHANNEL/stats until FIELD >= VALUE.
xr_wait_stats() {
	local i v
	for i in $(seq $(($4 * 10))); do
		v=$(xr_get "/channels/$1/stats" "$2")
		[ "$v" != missing ] && [ "$v" -ge "$3" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# --- the books ---------------------------------------------------------------------------------

# xr_books CHANNEL [COPIES] [SECONDS]: check the channel's books at rest (issue 10, case 7), as
# xr_soft checks (printed; xr_soft_verdict fails the test):
#   records: rx_packets == recorded_packets + rejected_packets + not_recorded_packets +
#     dropped_packets (drops holds the record path's causes only);
#   copies (when the channel re-sends): sent_packets + send_errors + send_queue_full ==
#     COPIES x the datagrams the worker handled (rx less the causes lost before it:
#     redirect_miss, fragments, ring_full, dataplane_died, truncated). COPIES defaults to the
#     channel's destinations when each has every 1 (else the check is left out; 0 leaves it out);
#   each destination: selected == sent_packets + send_errors + send_queue_full + dataplane_died
#     (copies in flight when a dataplane was killed), and, when COPIES
#     was not given and every destination has every 1, selected == the datagrams handled.
# "At rest": it first waits (up to SECONDS, default 5) until the counters stay unchanged for
# 0.5 s. XR_BOOKS_TAG, when set, is added to the checks' names (e.g. " after the stop"). The
# figures go into XR_BOOKS (rx rec dropped unaccounted), unaccounted = rx - recorded - not
# recorded - dropped (negative: more recorded or dropped than received).
xr_books() {
	local ch=$1 copies=${2:-} secs=${3:-5} prev="" cur i out line
	for ((i = 0; i <= secs * 2; i++)); do
		cur=$(xr_curl GET "/channels/$ch/stats")
		[ "$(xr_status)" = 200 ] || break
		[ -n "$prev" ] && [ "$cur" = "$prev" ] && break
		prev=$cur
		sleep 0.5
	done
	[ "$(xr_status)" = 200 ] || {
		xr_soft false "the books of $ch" "GET /channels/$ch/stats: $(xr_status) $cur"
		return 1
	}
	out=$(xr_curl GET "/channels/$ch" | "$XR_PY" -c '
import json, sys
st, copies = json.loads(sys.argv[1]), sys.argv[2]
ch = json.load(sys.stdin)
d = st["drops"]
# The record path: every datagram matched is recorded, not recorded (record off), or dropped.
pre = sum(d.get(k, 0) for k in ("redirect_miss", "fragments", "ring_full", "dataplane_died",
                                 "truncated"))
rx, rec, dropped = st["rx_packets"], st["recorded_packets"], st["dropped_packets"]
notrec = st.get("not_recorded_packets", 0)
rej = st.get("rejected_packets", 0)
causes = ", ".join("%s %d" % (k, v) for k, v in d.items() if v) or "none"
un = rx - rec - rej - notrec - dropped
print("%d %d %d %d" % (rx, rec, dropped, un))
print("1" if un == 0 else "0",
      "rx_packets %d == recorded %d + rejected %d + not recorded %d + dropped %d (causes: %s)"
      % (rx, rec, rej, notrec, dropped, causes))
dests = ch.get("destinations", [])
derived = copies == ""
if derived:
    copies = len(dests) if all(x.get("every", 1) == 1 for x in dests) else 0
    derived = copies > 0
copies = int(copies)
for i, x in enumerate(st.get("destinations", [])):
    # The send path per destination: every copy meant for it is sent or counted.
    got = x["sent_packets"] + x["send_errors"] + x["send_queue_full"] + x["dataplane_died"]
    print("1" if x["selected"] == got else "0",
          "destination %d (%s:%d): selected %d == sent %d + send_errors %d + send_queue_full %d"
          " + dataplane_died %d"
          % (i, x["addr"], x["port"], x["selected"], x["sent_packets"], x["send_errors"],
             x["send_queue_full"], x["dataplane_died"]))
    if derived and not x["dataplane_died"]:
        print("1" if x["selected"] == rx - pre else "0",
              "destination %d (%s:%d): selected %d == %d handled"
              % (i, x["addr"], x["port"], x["selected"], rx - pre))
if copies:
    # The send path: each datagram that reached the worker goes to every destination.
    handled = rx - pre
    send = st.get("send_queue_full", 0)
    got = st["sent_packets"] + st["send_errors"] + send
    print("1" if got == copies * handled else "0",
          "copies: sent %d + send_errors %d + send_queue_full %d == %d x %d handled"
          % (st["sent_packets"], st["send_errors"], send, copies, handled))
' "$cur" "$copies")
	XR_BOOKS=$(head -n 1 <<<"$out")
	while read -r ok line; do
		xr_soft "[ $ok = 1 ]" "books of $ch${XR_BOOKS_TAG:-}: $line" "$cur"
	done < <(tail -n +2 <<<"$out")
}
