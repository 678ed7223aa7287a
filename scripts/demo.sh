#!/usr/bin/env bash
# The gateway's main job on an embedded default: first the codec (SMS, USSD and CAMEL
# flows encoded to BER, decoded to JSON, read by Wireshark's tshark as on the wire), then
# the network: osmo-stp, a simulated network (ss7sim) and the gateway (ss7gw run) on
# loopback, an SMSC's and a USSD client's requests in JSON, and every event as it flows.
# It grows with each layer (NATS events, Lua hooks).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target ss7gw ss7sim sctp2tcp
python3 examples/codec/run.py build/ss7gw
exec python3 examples/network/run.py --ss7gw build/ss7gw --ss7sim build/src/sim/ss7sim \
  --shim build/src/sctpshim/libsctp2tcp.so
