#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) in their own
# build directory and runs each for a bounded time on its seed corpus.
#   FUZZ_SECONDS=30  FUZZ_BUILD_DIR=build-fuzz  FUZZ_TARGETS="study_json_fuzzer ..."
# A crash leaves its input as $FUZZ_BUILD_DIR/artifacts/<target>/crash-*; turn
# it into a regression test under tests/ (see docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
FUZZ_TARGETS=${FUZZ_TARGETS:-study_json_fuzzer service_request_fuzzer}
# Debian 12: clang-14; libFuzzer, the sanitizer runtimes and
# FuzzedDataProvider.h are in libclang-rt-14-dev (only recommended by clang).
scripts/install_packages.sh clang libclang-rt-14-dev

start=$(date +%s)
CC=clang CXX=clang++ cmake -S . -B "$FUZZ_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
  -DTUNER_FUZZ=ON -DTUNER_WERROR=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-unknown-warning-option" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$FUZZ_BUILD_DIR" -j "$(nproc)" --target $FUZZ_TARGETS
echo "fuzz: build took $(($(date +%s) - start)) s"

export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${FUZZ_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in $FUZZ_TARGETS; do
  seeds=fuzz/corpus/${target%_fuzzer}
  corpus=$FUZZ_BUILD_DIR/corpus/$target
  artifacts=$FUZZ_BUILD_DIR/artifacts/$target/
  mkdir -p "$corpus" "$artifacts"
  dict=()
  [[ -f fuzz/${target%_fuzzer}.dict ]] && dict=(-dict="fuzz/${target%_fuzzer}.dict")
  echo "fuzz: $target for ${FUZZ_SECONDS} s"
  if ! "$FUZZ_BUILD_DIR/$target" "$corpus" "$seeds" "${dict[@]}" -max_total_time="$FUZZ_SECONDS" \
      -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="$artifacts" 2>"$FUZZ_BUILD_DIR/$target.log"; then
    tail -n 60 "$FUZZ_BUILD_DIR/$target.log" >&2
    echo "fuzz: $target FAILED; inputs in $artifacts" >&2
    status=1
  else
    grep -E '^(stat::number_of_executed_runs|cov:|#[0-9]+ *DONE)' "$FUZZ_BUILD_DIR/$target.log" | tail -n 3 || true
  fi
done
exit $status
