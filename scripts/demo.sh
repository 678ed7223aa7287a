#!/usr/bin/env bash
# The gateway's main job on an embedded default: first the codec (SMS, USSD and CAMEL
# flows encoded to BER, decoded to JSON, read by Wireshark's tshark as on the wire), then
# the service: nats-server (JetStream), osmo-stp, the gateway on NATS, the example C
# application and ss7sim as the network on loopback, every JSON event printed as it flows
# (examples/service/run.py). It grows with each layer (Lua hooks, HA).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target ss7gw ss7sim sctp2tcp ss7app
python3 examples/codec/run.py build/ss7gw
exec python3 examples/service/run.py --build build
