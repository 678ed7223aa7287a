#!/usr/bin/env bash
# Benchmarks: build the release tree and print the codec's figures (bounded:
# a fixed number of iterations, a few seconds in all).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target bench_codec bench_sccp_node bench_tcap bench_stack \
  bench_capture sctp2tcp ss7gw ss7sim ss7app bench_sub
build/tests/bench_codec "${1:-20000}"
# SCCP node: a UDT routed through 1, 1000 and 10000 GTT rules, against decode alone
build/tests/bench_sccp_node 1000000 2>/dev/null
build/tests/tcap/bench_tcap "${2:-1000000}"
# the stack in one process, MTP as a queue: SRI-for-SM dialogues by TC primitives and by JSON
build/tests/bench_stack "${3:-200000}" 100
# the M3UA capture: a message each way over the SCTP shim, baseline, capture off, capture on
LD_PRELOAD=build/src/sctpshim/libsctp2tcp.so build/tests/bench_capture "${4:-20000}" 2>/dev/null
# the service: SRI-for-SM through osmo-stp -> ss7gw run -> NATS -> the C app and back, against
# osmo-stp relaying the same dialogues; dialogues/s, event latency at half load, CPU per dialogue
python3 tests/bench/bench_service.py --build build --count "${5:-200000}" --seconds "${6:-10}"
