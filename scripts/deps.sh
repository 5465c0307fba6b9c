#!/bin/sh
# Installs the Debian packages xrelay needs to build, test and run, and only those missing.
# Quick when nothing is missing: it asks dpkg first and runs apt-get update only to install.
set -eu

PKGS="make gcc clang llvm pkg-config bpftool libbpf-dev libxdp-dev libelf-dev zlib1g-dev
liburing-dev libavro-dev libmicrohttpd-dev libjansson-dev libcmocka-dev clang-format libsnappy-dev
libclang-rt-14-dev python3 python3-avro python3-snappy iproute2 ethtool curl wrk util-linux tshark
tcpreplay xxd"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
# Node.js lints openapi.yaml and validates API responses; any packaged node >= 18 will do, so
# look for the commands (some images ship their own nodejs that bundles npm).
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
