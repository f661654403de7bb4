#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing,
# builds, runs every test through ctest. Under CI (CI=true) the build treats
# warnings as errors and runs under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${CI:-}" == "true" ]]; then
  export WERROR=ON SANITIZE=${SANITIZE:-ON} BUILD_DIR=${BUILD_DIR:-build-ci}
fi
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
scripts/setup.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j 2 "$@"
# ---- fuzz (begin): FUZZ=1 also builds the libFuzzer targets (clang, own
# build dir) and runs each for FUZZ_SECONDS (default 30). Opt-in: the clang
# ASan build does not fit the CI budget on 2 cores (docs/reliability.md).
if [[ "${FUZZ:-0}" == "1" ]]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} scripts/fuzz.sh
fi
# ---- fuzz (end)
