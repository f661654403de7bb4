// How a client reaches a study server: TLS and the bearer token
// (docs/security.md). A plain struct, apart from the client so that tools
// which only choose the options need not include gRPC or proto headers.
#ifndef TUNER_CLIENTS_CPP_CONNECT_OPTIONS_H_
#define TUNER_CLIENTS_CPP_CONNECT_OPTIONS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace tuner {

struct ConnectOptions {
  // PEM file of the CA (or the self-signed certificate) to trust: non-empty
  // = TLS. "" = plain text.
  std::string ca_file;
  // Sent as `authorization: Bearer <token>` on every call; "" = none.
  std::string token;
  // How long a call keeps retrying while the server cannot be reached
  // (UNAVAILABLE, or its disk is full) before it fails, in seconds: < 0 =
  // $TUNER_RETRY_S when set, else 600; 0 = no retries. Retries back off with
  // jitter from 50 ms to 1 s; reconnects are tried at least every second.
  double retry_s = -1;
  // Called on the calling thread before each wait for a server that cannot
  // be reached (with the error; returning false gives up at once, e.g. on
  // Ctrl-C), and once with OK when it answers again (the result is then
  // ignored). For progress displays; may be empty.
  std::function<bool(const absl::Status&)> on_wait;
  // false: reports go without a report id, as before report ids existed, so
  // a retried report may be stored twice. Only for measuring their cost
  // (bench_report_throughput).
  bool report_ids = true;
};

}  // namespace tuner

#endif  // TUNER_CLIENTS_CPP_CONNECT_OPTIONS_H_
