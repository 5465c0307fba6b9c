#!/bin/sh
# make test's bounded fuzzing run of the datum validator, 20 s (make fuzz: FUZZ_SECONDS).
here=$(dirname "$0")
exec "$here/fuzz.sh" "${BUILD:-build}/fuzz/fuzz_datum" "${FUZZ_DATUM_SECONDS:-20}" \
	"$here/corpus-datum"
