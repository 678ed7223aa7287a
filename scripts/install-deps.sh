#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages (idempotent;
# run as root or with sudo). Nothing is downloaded from anywhere else.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git python3
  asn1c                                   # ASN.1 -> C codecs (0.9.28)
  libosmocore-dev                         # libosmocore + libosmogsm (GSM 7-bit, BCD, SMS helpers)
  libosmo-sigtran-dev osmo-stp            # M3UA/SCCP stack and the STP used by tests
  libtalloc-dev
  libnats-dev nats-server                 # the NATS adapter; its tests start nats-server -js
  libluajit-5.1-dev lua-cjson             # the scripting engine (later layers)
  tshark                                  # the independent decoder our tests check against
  clang libclang-rt-14-dev                # libFuzzer and sanitizer runtimes
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
