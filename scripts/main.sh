#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what is missing, builds,
# then runs the quickstart study to the end with `tuner run` (embedded server
# on the SQLite file quickstart.db) and prints the best configuration.
# A second run resumes the same study (nothing left to do: it prints the best).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
scripts/setup.sh
"$BUILD_DIR/tuner" run examples/quickstart/study.json --db "${DB:-quickstart.db}" "$@"
"$BUILD_DIR/tuner" trials quickstart --db "${DB:-quickstart.db}"
