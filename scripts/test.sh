#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds twice (release, and
# AddressSanitizer+UBSan) and runs every CTest test on both builds.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=$(nproc)

build() {  # build DIR CMAKE-ARGS...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
build build-asan -DCMAKE_BUILD_TYPE=Debug -DSS7GW_SANITIZE=ON
# libFuzzer needs clang; only the fuzz target is built there
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSS7GW_FUZZ=ON \
  -DSS7GW_FUZZ_SECONDS="${SS7GW_FUZZ_SECONDS:-60}" >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_decode fuzz_sccp fuzz_sccp_node fuzz_tcap fuzz_tc_json fuzz_m3ua_rx fuzz_gw

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# every encoding the tests make is also compared with asn1c's own encoder
export SS7GW_CODEC_SELFCHECK=1
status=0
echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j "$jobs" || status=1
echo "== tests (ASan+UBSan build)"
ctest --test-dir build-asan --output-on-failure -j "$jobs" || status=1
echo "== fuzzing (libFuzzer, bounded)"
ctest --test-dir build-fuzz -j "$jobs" --output-on-failure -R '^fuzz\..*\.libfuzzer$' || status=1
exit $status
