#!/bin/sh
# Load on the control API with wrk, on loopback, in private namespaces and bpffs:
#   1. GET /stats with CHANNELS channels defined (counters summed live from the maps);
#   2. POST /channels + DELETE /channels/{name} pairs (map edits under the editors' lock).
# Prints wrk's figures; any non-2xx answer is counted and fails the run.
# Usage: bench_api.sh [SECONDS] [CONNECTIONS]   (BUILD from the environment, default build)
set -eu
if [ "${XRELAY_BENCH_NS:-}" != 1 ]; then
	XRELAY_BENCH_NS=1 exec unshare --mount --net --propagation private sh "$0" "$@"
fi
secs=${1:-5}
conns=${2:-16}
channels=${CHANNELS:-32}
api=$(realpath "${BUILD:-build}")/xrelay-api
here=$(dirname "$(realpath "$0")")
mount -t bpf bpf /sys/fs/bpf
ip link set lo up
work=$(mktemp -d /tmp/xrelay-bench-api-XXXXXX)
"$api" --listen 127.0.0.1:18080 --pin-dir /sys/fs/bpf/xrelay-bench --threads 2 2>"$work/api.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 50); do
	curl -s -o /dev/null http://127.0.0.1:18080/healthz && break
	sleep 0.1
done
i=0
while [ $i -lt "$channels" ]; do
	curl -sf -o /dev/null -X POST http://127.0.0.1:18080/channels \
		-H 'Content-Type: application/json' \
		-d "{\"name\": \"bench-$i\", \"port\": $((20000 + i)), \"destinations\": [{\"addr\": \"239.9.9.9\", \"port\": 7000}]}"
	i=$((i + 1))
done
echo "== GET /stats with $channels channels: wrk -t2 -c$conns -d${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$here/wrk_check.lua" http://127.0.0.1:18080/stats
echo "== POST /channels + DELETE /channels/{name} pairs: wrk -t2 -c$conns -d${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$here/wrk_post_delete.lua" http://127.0.0.1:18080
kill $pid
wait $pid || true
trap 'rm -rf "$work"' EXIT
