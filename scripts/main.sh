#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what is missing, builds,
# then runs the quickstart study to the end on the embedded SQLite default and
# prints the best configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
scripts/setup.sh
DB=${DB:-quickstart.db}
TUNER="$BUILD_DIR/tuner"
export PYTHONPATH="$PWD/clients/python:$PWD/$BUILD_DIR/python${PYTHONPATH:+:$PYTHONPATH}"

# Start the study server on a free loopback port and read the bound address.
coproc SERVER { exec "$TUNER" serve --db "$DB" --listen 127.0.0.1:0; }
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT
read -r -u "${SERVER[0]}" line
ADDR=${line#listening on }
echo "study server on $ADDR (db: $DB)"

/usr/bin/python3 examples/quickstart/ask_tell.py --endpoint "$ADDR" \
  --study-file examples/quickstart/study.json --workers 3
"$TUNER" trials quickstart --server "$ADDR"
"$TUNER" best quickstart --server "$ADDR"
