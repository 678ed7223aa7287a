#!/usr/bin/env bash
# The gateway's main job on an embedded default. Today that is the codec: SMS,
# USSD and CAMEL flows encoded to BER, decoded to JSON, and read by Wireshark's
# tshark as they would appear on the wire. It grows with each layer (network
# attachment through osmo-stp, NATS events, Lua hooks).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target ss7gw
exec python3 examples/codec/run.py build/ss7gw
