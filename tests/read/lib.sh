# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # (names used by the scripts that source this)
#
# Helpers for the xrelay-read tests (tests/read/test_*.sh): the programs, a temp dir removed by
# a trap, verdicts. Recordings are written by recgen (the project's own writer) into $RT/...;
# nothing here needs root or a network. Environment: BUILD (default build), RT_KEEP=1 keeps
# the temp dir.
RT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$RT_REPO/$BUILD ;; esac
READ=$BUILD/xrelay-read
REPLAY=$BUILD/xrelay-replay
RECGEN=$BUILD/read/recgen
CHECK=$RT_REPO/tests/read/check_read.py
PY=/usr/bin/python3
RT_NAME=$(basename "$0" .sh)
RT=

rt_log() { printf '%s: %s\n' "$RT_NAME" "$*"; }
rt_fail() { echo "$RT_NAME: FAIL - $*"; exit 1; }
rt_skip() { echo "$RT_NAME: SKIP - $*"; exit 77; }
rt_pass() { echo "$RT_NAME: PASS - $*"; exit 0; }
# rt_check COND WHAT [DETAIL]: "ok: WHAT" when the shell expression COND holds, else fail.
rt_check() {
	eval "$1" || rt_fail "$2${3:+: $3}"
	rt_log "ok: $2"
}

# rt_begin [tshark]: check the tools, make the temp dir (on disk: $BUILD, not a tmpfs).
rt_begin() {
	local t
	for t in "$READ" "$RECGEN"; do
		[ -x "$t" ] || rt_skip "$t is not built"
	done
	"$PY" -c 'import avro' 2>/dev/null || rt_skip "$PY with python3-avro is not installed"
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || rt_skip "$t is not installed (make deps)"
	done
	mkdir -p "$BUILD/tmp"
	RT=$(mktemp -d "$BUILD/tmp/$RT_NAME.XXXXXX") || rt_fail "mktemp failed"
	trap 'rt_cleanup' EXIT
}

rt_cleanup() {
	local rc=$?
	if [ "${RT_KEEP:-0}" = 1 ]; then echo "$RT_NAME: kept $RT" >&2; else rm -rf "$RT"; fi
	exit $rc
}
