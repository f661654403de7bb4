#!/usr/bin/env bash
# The layers of tuner/ and the modules under them may only include downwards:
#   tuner/cli -> tuner/server -> tuner/service -> study, storage, algorithms
# tuner/service holds no wire format (no proto, gRPC, Beast or HTTP header);
# proto types live only in tuner/server and clients; algorithms/ includes no
# gRPC or SQLite header; trial_runner/ knows nothing of the study service.
# Prints every offending include and exits 1 when there is one.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
# check DIR REGEX WHY: no file under DIR may include a header matching REGEX.
check() {
  local dir=$1 regex=$2 why=$3 hits
  hits=$(grep -rnE "^#include [\"<]($regex)" "$dir" --include='*.h' --include='*.cc' || true)
  if [[ -n "$hits" ]]; then
    echo "$dir must not include $why:"
    echo "$hits" | sed 's/^/  /'
    status=1
  fi
}
check tuner/service 'tuner/(server|cli)/|tuner/v1/|grpc|boost/beast|clients/|trial_runner/' \
  "tuner/server, tuner/cli, clients, trial_runner, proto or gRPC/HTTP headers"
check tuner/server 'tuner/cli/|trial_runner/' "tuner/cli or trial_runner headers"
check tuner/cli 'tuner/v1/|grpc' "proto or gRPC headers (use the StudyApi)"
check algorithms 'tuner/|storage/|study/|trial_runner/|clients/|grpc|sqlite3' \
  "anything above it, gRPC or SQLite"
check study 'tuner/|storage/|trial_runner/|clients/|grpc|sqlite3' "anything above it"
check storage 'tuner/|trial_runner/|clients/|grpc' "anything above it"
check trial_runner 'tuner/|storage/|clients/|grpc' "the study service, storage or clients"
[[ $status == 0 ]] && echo "layers: every include points downwards"
exit $status
