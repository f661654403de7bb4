#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing,
# builds, runs every test through ctest. Under CI (CI=true) the build treats
# warnings as errors and runs under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${CI:-}" == "true" ]]; then
  export WERROR=ON SANITIZE=${SANITIZE:-ON} BUILD_DIR=${BUILD_DIR:-build-ci} FUZZ=${FUZZ:-1}
fi
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
scripts/setup.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Leaks inside OpenSSL after a failed TLS handshake are OpenSSL's (scripts/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j 2 "$@"
# FUZZ=1 (the default under CI) also builds the libFuzzer targets (clang, own
# build dir) and runs each for FUZZ_SECONDS (default 60): about 6 minutes more.
if [[ "${FUZZ:-0}" == "1" ]]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-60} scripts/fuzz.sh
fi
