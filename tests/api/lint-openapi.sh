#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Lints openapi.yaml (or $1) with Redocly CLI: the built-in "recommended" rules, made stricter by
# redocly.yaml at the repository root (invalid examples are errors). Installs the pinned packages
# first (tests/api/npm-setup.sh).
# Prints the problems found and Redocly's summary; exit 0 only when there is no error.
# The packages live in $XRELAY_NODE_DIR, else $BUILD/node (default build/node).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
case ${BUILD:-build} in
/*) BUILD_DIR=${BUILD} ;;
*) BUILD_DIR=$REPO/${BUILD:-build} ;;
esac
NODE_DIR=${XRELAY_NODE_DIR:-$BUILD_DIR/node}
DOC=${1:-$REPO/openapi.yaml}

sh "$HERE/npm-setup.sh" "$NODE_DIR"

REDOCLY=$NODE_DIR/node_modules/.bin/redocly
[ -x "$REDOCLY" ] || { echo "lint-openapi: $REDOCLY missing" >&2; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
set +e
# No telemetry and no update check: they would try hosts other than the npm registry.
(cd "$REPO" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
	"$REDOCLY" lint --config "$REPO/redocly.yaml" --max-problems 1000 "$DOC") >"$out" 2>&1
rc=$?
set -e
# Drop Redocly's boxed notice that future releases need Node.js 22 (we pin this version).
grep -v '^ *[╔║╚]' "$out" | sed '/^$/N;/^\n$/D'
if [ "$rc" -ne 0 ]; then
	echo "lint-openapi: $DOC has errors (redocly exit $rc)" >&2
	exit 1
fi
echo "lint-openapi: $DOC: no errors"
