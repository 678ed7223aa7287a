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
  libcjson-dev                            # JSON in the C example application (examples/apps/c)
  libluajit-5.1-dev lua-cjson             # the scripting engine (later layers)
  tshark                                  # the independent decoder our tests check against
  python3-jsonschema                      # schemas/*.json checked by CTest schemas.*
  clang libclang-rt-14-dev                # libFuzzer and sanitizer runtimes
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# the JavaScript example application (examples/apps/js): Debian's nodejs and npm, unless a
# node with its own npm is already there (such a nodejs package conflicts with Debian's npm)
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

# examples/apps/js's packages, pinned by its package-lock.json, from the npm registry
js_deps() {
  local dir; dir="$(cd "$(dirname "$0")/.." && pwd)/examples/apps/js"
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules/nats" ]; then
    echo "install-deps: npm ci in examples/apps/js"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  js_deps
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
js_deps
