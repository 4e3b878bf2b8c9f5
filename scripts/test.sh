#!/usr/bin/env bash
# The test command: install what is missing, build, run every test.
#   scripts/test.sh              Release build, warnings as errors, full
#                                exhaustive checks (all 2^32 inputs)
#   scripts/test.sh --sanitize   AddressSanitizer + UBSan build; the
#                                exhaustive sweeps check every 257th input
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
jobs=$(nproc 2>/dev/null || echo 2)
if [ "${1:-}" = "--sanitize" ]; then
	dir=build-asan
	cmake -S . -B $dir -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETRIQ_SANITIZE=ON \
	      -DMETRIQ_WERROR=ON -DMETRIQ_EXHAUSTIVE_STRIDE=257 -DMETRIQ_BENCH=OFF >/dev/null
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
else
	dir=build
	cmake -S . -B $dir -DCMAKE_BUILD_TYPE=Release -DMETRIQ_WERROR=ON >/dev/null
fi
cmake --build $dir -j"$jobs"
cd $dir && ctest --output-on-failure -j"$jobs"
