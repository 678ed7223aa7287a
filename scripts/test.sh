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

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j "$jobs" || status=1
echo "== tests (ASan+UBSan build)"
ctest --test-dir build-asan --output-on-failure -j "$jobs" || status=1
exit $status
