#!/bin/sh
# make test's bounded fuzzing run of the request handler (make fuzz runs it longer).
exec "$(dirname "$0")/fuzz.sh" "${BUILD:-build}/fuzz/fuzz_router" "${FUZZ_SECONDS:-60}"
