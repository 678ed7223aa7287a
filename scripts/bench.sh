#!/usr/bin/env bash
# Benchmarks: build the release tree and print the codec's figures (bounded:
# a fixed number of iterations, a few seconds in all).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target bench_codec bench_tcap
build/tests/bench_codec "${1:-20000}"
build/tests/tcap/bench_tcap "${2:-1000000}"
