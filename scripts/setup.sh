#!/usr/bin/env bash
# Installs the Debian packages the project needs (only those missing) and
# builds it with CMake + Ninja into $BUILD_DIR (default: build).
#   BUILD_TYPE=RelWithDebInfo  SANITIZE=OFF  WERROR=OFF  BUILD_DIR=build
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libboost-dev libboost-filesystem-dev libsqlite3-dev sqlite3 libeigen3-dev
  nlohmann-json3-dev libspdlog-dev catch2 libnlopt-cxx-dev libcli11-dev
  python3 python3-grpcio python3-protobuf
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DTUNER_SANITIZE="${SANITIZE:-OFF}" -DTUNER_WERROR="${WERROR:-OFF}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
