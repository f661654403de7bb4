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
  libssl-dev openssl
  python3 python3-grpcio python3-protobuf python3-setuptools python3-wheel python3-pip python3-venv
  python3-torch python3-sklearn python3-numpy python3-xgboost
)
scripts/install_packages.sh "${PACKAGES[@]}"

# The web dashboard's charting library (npm) and its
# browser test (Debian's Chromium driven by playwright-core from npm).
web=()
command -v node >/dev/null || web+=(nodejs)
command -v npm >/dev/null || web+=(npm)
[[ -x /usr/bin/chromium ]] || web+=(chromium)
web+=(fonts-dejavu-core)
scripts/install_packages.sh "${web[@]}"
if [[ ! -f dashboard/node_modules/echarts/dist/echarts.min.js ||
      ! -f dashboard/node_modules/playwright-core/package.json ||
      dashboard/package-lock.json -nt dashboard/node_modules/.package-lock.json ]]; then
  echo "setup: npm ci in dashboard/"
  (cd dashboard && npm ci --no-audit --no-fund --loglevel=error)
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DTUNER_SANITIZE="${SANITIZE:-OFF}" -DTUNER_WERROR="${WERROR:-OFF}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
