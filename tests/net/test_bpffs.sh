#!/bin/bash
# SPDX-License-Identifier: MIT
# A machine without the BPF file system at /sys/fs/bpf (fresh from boot, no systemd): both
# programs mount it themselves and work; a --pin-dir on another file system elsewhere is
# refused at start with the fix in words, never served as 503 forever (issue 10, case 12).
#
# In the test's own mount namespace: /sys/fs/bpf unmounted (a plain sysfs directory), then
# xrelay-api on a pin directory under it: it answers, a channel is created (201); again with
# the dataplane started first (generic XDP on lo), which the API then sees running. Last, a
# pin directory on the temp folder's file system: each program exits 1 within 5 s, saying so.
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
xr_begin 60 "$@"
xr_need_dataplane

fs_type() { stat -f -c %T "$1" 2>/dev/null; }

unmount_bpffs() {
	while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || xr_fail "umount /sys/fs/bpf"; done
	[ "$(fs_type /sys/fs/bpf)" != bpf_fs ] || xr_fail "/sys/fs/bpf is still a bpffs"
}

# 1. The API alone.
unmount_bpffs
xr_api
[ "$(fs_type /sys/fs/bpf)" = bpf_fs ] || xr_fail "xrelay-api did not mount bpffs at /sys/fs/bpf"
grep -q "mounted the BPF file system at /sys/fs/bpf" "$XR_TMP/api.log" ||
	xr_fail "xrelay-api did not say that it mounted bpffs"
xr_channel_create '{"name": "b1", "port": 6100}'
[ -e "$XR_PIN/xrelay_chans" ] || xr_fail "no pinned channel map in $XR_PIN"
xr_log "ok: xrelay-api mounted bpffs and created a channel (201)"
xr_stop "$XR_API_PID"

# 2. The dataplane first, then the API sees it running.
unmount_bpffs
"$XR_DP_BIN" --iface lo --out "$XR_OUT" --pin-dir "$XR_PIN" >"$XR_TMP/dp.log" 2>&1 &
XR_DP_PID=$!
XR_PIDS+=("$XR_DP_PID")
for i in $(seq 50); do
	grep -q "mounted the BPF file system" "$XR_TMP/dp.log" && [ -e "$XR_PIN/xrelay_meta" ] &&
		break
	xr_alive "$XR_DP_PID" || xr_fail "xrelay-dataplane exited at start"
	sleep 0.1
done
[ "$(fs_type /sys/fs/bpf)" = bpf_fs ] || xr_fail "xrelay-dataplane did not mount bpffs"
xr_api
for i in $(seq 50); do
	[ "$(xr_get /healthz dataplane.running)" = true ] && break
	sleep 0.1
done
[ "$(xr_get /healthz dataplane.running)" = true ] || xr_fail "the API does not see the dataplane"
xr_log "ok: xrelay-dataplane mounted bpffs; the API sees it running"
xr_stop "$XR_DP_PID"
xr_stop "$XR_API_PID"

# 3. A pin directory on another file system: refused at start, with the fix.
mkdir -p "$XR_TMP/notbpf"
[ "$(fs_type "$XR_TMP/notbpf")" != bpf_fs ] || xr_fail "the temp folder is a bpffs?"
for prog in api dp; do
	if [ $prog = api ]; then
		cmd=("$XR_API_BIN" --listen 127.0.0.1:8081 --pin-dir "$XR_TMP/notbpf/pins")
	else
		cmd=("$XR_DP_BIN" --iface lo --out "$XR_OUT" --pin-dir "$XR_TMP/notbpf/pins")
	fi
	timeout 5 "${cmd[@]}" >"$XR_TMP/$prog-refused.log" 2>&1
	rc=$?
	[ $rc = 1 ] || xr_fail "$prog with a pin directory on $(fs_type "$XR_TMP") exited $rc, not 1"
	grep -q "is not on a BPF file system: mount one there first" "$XR_TMP/$prog-refused.log" ||
		xr_fail "$prog did not say why: $(cat "$XR_TMP/$prog-refused.log")"
	[ ! -e "$XR_TMP/notbpf/pins" ] || xr_fail "$prog created $XR_TMP/notbpf/pins anyway"
done
xr_log "ok: a pin directory on $(fs_type "$XR_TMP") is refused by both programs with the fix"
xr_pass "both programs mount bpffs where it is missing and refuse a pin directory elsewhere"
