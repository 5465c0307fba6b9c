#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Installs the npm packages pinned in a package.json (PKG = $2, default tests/api/package.json:
# the OpenAPI linter and the response validator's libraries) into DIR/node_modules, DIR = $1,
# else $BUILD/node (the Makefile's build directory, default build/ of the repository).
# Quick and silent when the pinned versions are already there; otherwise one line and an
# `npm install` (no lock file is written: versions are pinned exactly in package.json).
# Exit 0 when the packages are in place; 1 with a message saying why when not.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
case ${BUILD:-build} in
/*) BUILD_DIR=${BUILD} ;;
*) BUILD_DIR=$REPO/${BUILD:-build} ;;
esac
DIR=${1:-$BUILD_DIR/node}
PKG=${2:-$HERE/package.json}

err() {
	echo "npm-setup: $*" >&2
	exit 1
}

command -v node >/dev/null 2>&1 || err "node not found; install Node.js >= 18.17 (with npm) to lint openapi.yaml and validate API responses"
command -v npm >/dev/null 2>&1 || err "npm not found; install npm (it comes with Node.js)"

# Prints nothing and exits 0 when every pinned package is installed at its pinned version;
# else prints what is missing or outdated and exits 1. Also checks node against "engines".
check() {
	node - "$PKG" "$DIR" <<'EOF'
const fs = require('fs');
const path = require('path');
const [pkgPath, dir] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
const want = (pkg.engines && pkg.engines.node || '').replace(/^>=\s*/, '');
if (want) {
	const cmp = (a, b) => {
		const x = a.split('.').map(Number), y = b.split('.').map(Number);
		for (let i = 0; i < 3; i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
		return 0;
	};
	if (cmp(process.versions.node, want) < 0) {
		console.log(`node ${process.versions.node} is too old: these packages need >= ${want}`);
		process.exit(2);
	}
}
const bad = [];
for (const [name, version] of Object.entries(pkg.dependencies || {})) {
	let have;
	try {
		have = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
	} catch {
		have = null;
	}
	if (have !== version) bad.push(`${name}@${version}${have ? ` (have ${have})` : ''}`);
}
if (bad.length) {
	console.log(bad.join(' '));
	process.exit(1);
}
EOF
}

set +e
need=$(check)
rc=$?
set -e
[ "$rc" -eq 0 ] && exit 0
[ "$rc" -eq 2 ] && err "$need"

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# One installer at a time (make -j may start the lint and the validation together).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$DIR/.npm-setup.lock"
	flock 9
	# Another run may have installed them while we waited.
	if check >/dev/null; then
		exit 0
	fi
fi

echo "npm-setup: installing into $DIR: $need"
cp "$PKG" "$DIR/package.json"
log=$DIR/npm-install.log
if ! (cd "$DIR" && npm install --no-package-lock --no-audit --no-fund --no-update-notifier \
	--loglevel=error >"$log" 2>&1); then
	tail -n 30 "$log" >&2
	err "npm install failed in $DIR (full log: $log); is the npm registry reachable?"
fi
need=$(check) || err "after npm install still missing or outdated: $need (log: $log)"
exit 0
