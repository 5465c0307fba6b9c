#!/bin/bash
# SPDX-License-Identifier: MIT
# make install, the systemd units and the man pages (issue 14). PID 1 is not systemd here, so
# the units cannot be started; this does what can be done without it:
#  - make install PREFIX=P puts the programs (0755), the BPF object, the two units (their
#    ExecStart naming P/sbin) and a gzipped man page per program (0644) under P; with
#    DESTDIR=D PREFIX=/usr everything lands under D/usr and the units name /usr/sbin; make
#    uninstall removes every file again;
#  - systemd-analyze verify accepts both installed units (an instance of the template too) with
#    not a single warning, and refuses a copy with a misspelled key (the check can fail);
#    systemd-analyze security --offline rates both (printed; fails past 4.0, "OK" and better);
#  - each man page renders with groff -ww without a warning and names exactly the long options
#    its program's --help names;
#  - the installed programs run the way the units run them, in this test's namespaces: the
#    command line of ExecStart (%i and the variables expanded), only the capabilities of
#    CapabilityBoundingSet (setpriv), LimitMEMLOCK, and a $NOTIFY_SOCKET the test listens on:
#    both say READY=1, the dataplane pings WATCHDOG=1 (WATCHDOG_USEC set short here: the unit's
#    10 s would take too long), a channel created through the API records every datagram sent,
#    and both say STOPPING=1 and exit 0 on SIGTERM;
#  - each capability of the units' sets is needed: without any one of them the dataplane
#    refuses to start, saying why, and the API cannot make the maps (503, saying why).
# shellcheck disable=SC2034 # variables read by the conditions xr_check evaluates
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/../net/lib.sh"
xr_begin 120 "$@"
xr_need_tools
xr_need_dataplane
for t in systemd-analyze setpriv prlimit groff gzip make; do
	command -v $t >/dev/null 2>&1 || xr_skip "$t is not installed"
done
REL_BUILD=${BUILD#"$XR_REPO"/}
mk() { make -s -C "$XR_REPO" BUILD="$REL_BUILD" SANITIZE="${SANITIZE:-}" "$@"; }

# 1. Install under a prefix, and staged under DESTDIR.
P=$XR_TMP/prefix
mk install PREFIX="$P" >"$XR_TMP/install.log" 2>&1 || xr_fail "make install failed" "$(cat "$XR_TMP/install.log")"
want="755 sbin/xrelay-api
755 sbin/xrelay-dataplane
755 bin/xrelay-read
755 bin/xrelay-replay
644 share/man/man1/xrelay-read.1.gz
644 share/man/man1/xrelay-replay.1.gz
644 lib/xrelay/xrelay.bpf.o
644 lib/systemd/system/xrelay-api.service
644 lib/systemd/system/xrelay-dataplane@.service
644 share/man/man8/xrelay-api.8.gz
644 share/man/man8/xrelay-dataplane.8.gz"
got=$(cd "$P" && find . -type f -printf '%m %P\n' | sort)
missing=$(comm -23 <(sort <<<"$want") <(echo "$got"))
xr_soft '[ -z "$missing" ]' "make install PREFIX=P: the programs, the BPF object, the units and the man pages, with their modes" \
	"missing: $missing; got: $got"
xr_soft '[ "$(od -An -tu2 -j18 -N2 "$P/lib/xrelay/xrelay.bpf.o" | tr -d " ")" = 247 ]' \
	"the installed xrelay.bpf.o is a BPF ELF object (e_machine 247)"
xr_soft 'grep -qx "ExecStart=$P/sbin/xrelay-dataplane --iface %I .*" "$P/lib/systemd/system/xrelay-dataplane@.service" &&
	grep -qx "ExecStart=$P/sbin/xrelay-api .*" "$P/lib/systemd/system/xrelay-api.service"' \
	"the installed units run the installed programs"
D=$XR_TMP/stage
mk install DESTDIR="$D" PREFIX=/usr >>"$XR_TMP/install.log" 2>&1 || xr_fail "make install DESTDIR failed"
staged=$(cd "$D" && find . -type f -printf '%P\n' | sort)
xr_soft '[ "$staged" = "$(sed "s|^[0-9]* |usr/|" <<<"$want" | sort)" ] &&
	grep -q "^ExecStart=/usr/sbin/xrelay-api " "$D/usr/lib/systemd/system/xrelay-api.service"' \
	"make install DESTDIR=D PREFIX=/usr: all under D/usr, nothing else, the units naming /usr/sbin" "$staged"
mk uninstall DESTDIR="$D" PREFIX=/usr >>"$XR_TMP/install.log" 2>&1
xr_soft '[ -z "$(find "$D" -type f)" ]' "make uninstall removes every file it installed" "$(find "$D" -type f)"

# 2. The units, as systemd reads them.
U=$P/lib/systemd/system
cp "$U/xrelay-dataplane@.service" "$XR_TMP/"
v=$(cd "$U" && systemd-analyze verify --man=no ./xrelay-api.service ./xrelay-dataplane@.service \
	./xrelay-dataplane@eth1.service ./xrelay-dataplane@"$(systemd-escape xr-h.100)".service 2>&1)
rc=$?
xr_soft '[ $rc = 0 ] && [ -z "$v" ]' "systemd-analyze verify: both units and an instance, no warning" "$v"
mkdir -p "$XR_TMP/bad"
sed 's/^RestartSec=/RestartSecs=/' "$U/xrelay-api.service" >"$XR_TMP/bad/xrelay-api.service"
v=$(cd "$XR_TMP/bad" && systemd-analyze verify --man=no ./xrelay-api.service 2>&1)
xr_soft '[ -n "$v" ]' "systemd-analyze verify reports a misspelled key (the check can fail)"
for u in xrelay-api.service xrelay-dataplane@eth1.service; do
	lvl=$(cd "$U" && systemd-analyze security --offline=true "./$u" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
	xr_soft '[ -n "$lvl" ] && awk -v l="$lvl" "BEGIN {exit !(l <= 4.0)}"' \
		"systemd-analyze security: $u exposure $lvl (of 10; <= 4.0)"
done

# 3. The man pages against --help.
for ps in sbin/xrelay-api:8 sbin/xrelay-dataplane:8 bin/xrelay-read:1 bin/xrelay-replay:1; do
	p=${ps%:*} sec=${ps#*:}
	prog=$P/$p p=${p#*/}
	page=$P/share/man/man$sec/$p.$sec.gz
	w=$(gzip -dc "$page" | groff -man -ww -z 2>&1)
	xr_soft '[ -z "$w" ]' "man page $p($sec) renders without a warning" "$w"
	opts_help=$("$prog" --help | grep -o -- '--[a-z][a-z-]*' | sort -u | paste -sd' ')
	opts_man=$(gzip -dc "$page" | groff -man -Tutf8 2>/dev/null | sed 's/.\x08//g' |
		grep -o -- '--[a-z][a-z-]*' | sort -u | paste -sd' ')
	xr_soft '[ -n "$opts_help" ] && [ "$opts_help" = "$opts_man" ]' \
		"man page $p($sec) names exactly the options of --help ($(wc -w <<<"$opts_help"))" \
		"help: $opts_help; man: $opts_man"
done

# 4. The installed programs run as the units run them.
xr_veth
# notify_listen NAME: a datagram socket at $XR_TMP/NAME.sock whose messages go to NAME.msgs.
notify_listen() {
	rm -f "$XR_TMP/$1.sock" "$XR_TMP/$1.msgs"
	xr_bg "$1-notify" "$XR_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        f.flush()
' "$XR_TMP/$1.sock" "$XR_TMP/$1.msgs"
	xr_wait_file "$XR_TMP/$1.sock" 5 || xr_fail "the notify listener $1 did not start"
}
# unit_value UNIT KEY: the value of KEY= in the installed UNIT.
unit_value() { sed -n "s/^$2=//p" "$U/$1"; }
# caps UNIT [DROP]: setpriv's --bounding-set from the unit's CapabilityBoundingSet, less DROP.
caps() {
	local c out="-all"
	for c in $(unit_value "$1" CapabilityBoundingSet); do
		[ "$c" = "${2:-}" ] && continue
		c=${c#CAP_}
		out="$out,+${c,,}"
	done
	echo "$out"
}
# unit_run NAME UNIT INSTANCE CAPS [VAR=VALUE...]: ExecStart of UNIT as systemd would expand it
# for INSTANCE (%i; ${X} and $X from the VAR=VALUE given), in the background under CAPS, with
# LimitMEMLOCK and $NOTIFY_SOCKET=$XR_TMP/NAME.sock.
unit_run() {
	local name=$1 unit=$2 inst=$3 caps=$4 cmd kv memlock
	shift 4
	cmd=$(unit_value "$unit" ExecStart)
	cmd=${cmd//%I/$inst}
	cmd=${cmd//%i/$(systemd-escape "$inst")}
	for kv in "$@"; do
		cmd=${cmd//\$\{${kv%%=*}\}/${kv#*=}}
		cmd=${cmd//\$${kv%%=*}/${kv#*=}}
	done
	memlock=$(unit_value "$unit" LimitMEMLOCK)
	[ "$memlock" = infinity ] && memlock=unlimited
	lim=()
	if [ -n "$memlock" ]; then
		if prlimit --memlock="$memlock" true 2>/dev/null; then
			lim=(prlimit --memlock="$memlock")
		else
			# systemd (PID 1) can raise the limit; this test cannot where its bounding set
			# lacks CAP_SYS_RESOURCE: CAP_IPC_LOCK has the same effect on the UMEM.
			caps="$caps,+ipc_lock"
			MEMLOCK_NOTE=" (+CAP_IPC_LOCK for LimitMEMLOCK=$memlock, which this test cannot set)"
		fi
	fi
	# shellcheck disable=SC2086 # the command line is split as systemd splits $VAR
	xr_bg "$name" env NOTIFY_SOCKET="$XR_TMP/$name.sock" WATCHDOG_USEC="${WATCHDOG_USEC:-}" \
		"${lim[@]}" setpriv --inh-caps=-all --bounding-set="$caps" -- $cmd
}
MEMLOCK_NOTE=
# notified NAME MSG SECONDS: wait until NAME has sent MSG.
notified() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q "$2" "$XR_TMP/$1.msgs" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

OUT=$XR_TMP/out
notify_listen api
unit_run api xrelay-api.service "" "$(caps xrelay-api.service)" XRELAY_PIN_DIR="$XR_PIN" \
	XRELAY_API_OPTS="--listen 127.0.0.1:$XR_API_PORT"
xr_soft 'notified api READY=1 5' "the installed xrelay-api under CAP_BPF, CAP_NET_ADMIN says READY=1 and made the maps" \
	"$(cat "$XR_TMP/api.err")"
xr_soft '[ "$(xr_get /healthz status)" = ok ]' "its /healthz says ok before any dataplane" \
	"$(cat "$XR_TMP/api.err")"
# --mode xdp: under --mode auto a dataplane that cannot attach XDP runs the socket backend,
# which needs fewer capabilities; each of the unit's is needed for XDP mode.
for c in $(unit_value xrelay-dataplane@.service CapabilityBoundingSet); do
	notify_listen "no-$c"
	unit_run "no-$c" xrelay-dataplane@.service "$XR_H" "$(caps xrelay-dataplane@.service "$c")" \
		XRELAY_OUT_DIR="$OUT" XRELAY_PIN_DIR="$XR_PIN" XRELAY_DATAPLANE_OPTS="--mode xdp --xdp-mode native"
	xr_wait "no-$c"
	rc=$?
	why=$(grep -m1 '^xrelay-dataplane: warn' "$XR_TMP/no-$c.err" | sed 's/^xrelay-dataplane: //')
	xr_soft '[ $rc != 0 ] && [ -n "$why" ] && ! grep -q READY=1 "$XR_TMP/no-$c.msgs" 2>/dev/null' \
		"without $c$MEMLOCK_NOTE the dataplane refuses to start (exit $rc): $why" \
		"$(cat "$XR_TMP/no-$c.err")"
done
notify_listen dp
WATCHDOG_USEC=600000 unit_run dp xrelay-dataplane@.service "$XR_H" "$(caps xrelay-dataplane@.service)" \
	XRELAY_OUT_DIR="$OUT" XRELAY_PIN_DIR="$XR_PIN" XRELAY_DATAPLANE_OPTS="--mode xdp --xdp-mode native"
xr_check 'notified dp READY=1 10' \
	"the installed xrelay-dataplane under CAP_BPF, CAP_NET_ADMIN, CAP_NET_RAW, CAP_PERFMON$MEMLOCK_NOTE says READY=1" \
	"$(tail -n 5 "$XR_TMP/dp.err")"
xr_channel_create '{"name": "inst", "port": 6900, "addr": "'$XR_H4'"}'
xr_peer "$UDPGEN" --dst $XR_H4 --port 6900 --count 500 --rate 5000 --max-len 300 --seed 7 \
	>/dev/null 2>"$XR_TMP/gen.err" || xr_fail "udpgen failed: $(cat "$XR_TMP/gen.err")"
xr_wait_stats inst recorded_packets 500 5
rec=$(xr_get /channels/inst/stats recorded_packets)
xr_soft '[ "$rec" = 500 ]' "a channel through the installed API records all 500 datagrams ($rec)"
sleep 1
dogs=$(grep -c WATCHDOG=1 "$XR_TMP/dp.msgs")
xr_soft '[ "$dogs" -ge 3 ]' "the dataplane pings the watchdog ($dogs pings, WATCHDOG_USEC 0.6 s)"
kill -TERM "${XR_BG[dp]}"
xr_wait dp
rc_dp=$?
kill -TERM "${XR_BG[api]}"
xr_wait api
rc_api=$?
xr_soft '[ $rc_dp = 0 ] && [ $rc_api = 0 ] && notified dp STOPPING=1 1 && notified api STOPPING=1 1' \
	"both say STOPPING=1 and exit 0 on SIGTERM (dataplane $rc_dp, api $rc_api)"
xr_soft '[ "$(find "$OUT/inst" -name "*.avro" | wc -l)" -ge 1 ] && [ -z "$(find "$OUT/inst" -name "*.part")" ]' \
	"the files are closed in the output folder the unit names"

# 5. The API without either of its capabilities cannot make the maps (a fresh pin directory).
for c in $(unit_value xrelay-api.service CapabilityBoundingSet); do
	notify_listen "api-no-$c"
	unit_run "api-no-$c" xrelay-api.service "" "$(caps xrelay-api.service "$c")" \
		XRELAY_PIN_DIR="$XR_PIN-$c" XRELAY_API_OPTS="--listen 127.0.0.1:$XR_API_PORT"
	notified "api-no-$c" READY=1 5
	st=$(curl -s -o /dev/null -w '%{http_code}' "$XR_API/channels")
	kill -TERM "${XR_BG[api-no-$c]}" 2>/dev/null
	xr_wait "api-no-$c"
	why=$(grep -m1 'unusable' "$XR_TMP/api-no-$c.err" | sed 's/^xrelay-api: //')
	xr_soft '[ "$st" = 503 ] && [ -n "$why" ]' "without $c the API cannot make the maps: $st, $why" \
		"$(cat "$XR_TMP/api-no-$c.err")"
done
xr_soft_verdict
xr_pass "installed, units verified, man pages match --help, installed programs run with the units' capabilities and notify systemd"
