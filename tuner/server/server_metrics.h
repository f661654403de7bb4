// The server's own counters for `GET /metrics` (Prometheus text format 0.0.4):
// HTTP requests by route class and status, RPCs by method and code with
// latency histograms, metric reports received, and storage errors. Labels
// take values from small fixed sets (route classes, status codes, the
// service's method names), never a study or trial, so the output stays
// bounded. The study and trial gauges are added by the caller at scrape time
// (HttpApi reads them from the StudyApi). docs/observability.md.
//
// Thread-safety: every method may be called from any thread.
#ifndef TUNER_TUNER_SERVER_SERVER_METRICS_H_
#define TUNER_TUNER_SERVER_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace tuner {

class ServerMetrics {
 public:
  // One HTTP request answered: `route` is a class ("api", "static",
  // "metrics", "healthz", "readyz"), `status` the HTTP status.
  void RecordHttp(std::string_view route, int status, double seconds);
  // One RPC ended with gRPC status code `code` (0..16) after `seconds` (for a
  // stream: its lifetime). `method` is the short name, e.g. "SuggestTrials".
  void RecordRpc(std::string_view method, int code, double seconds);
  // One message received on an RPC (a report, on ReportMetrics).
  void RecordMessage(std::string_view method);

  // Every counter and histogram in Prometheus text format, with HELP and
  // TYPE lines.
  std::string Render() const;

  // The histograms' upper bounds, in seconds (+Inf is implied).
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,  0.1,    0.25,  1,    5};

 private:
  struct Histogram {
    std::array<int64_t, kBuckets.size()> buckets{};  // cumulative when rendered
    int64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
  };
  // At most this many distinct methods (names come from the service, but a
  // client may call anything): the rest count as "other".
  static constexpr size_t kMaxMethods = 64;
  std::string MethodLabel(std::string_view method) const;  // needs mu_

  mutable std::mutex mu_;                                         // guards everything below
  std::map<std::pair<std::string, int>, int64_t> http_requests_;  // (route, status)
  std::map<std::string, Histogram> http_latency_;                 // by route
  std::map<std::pair<std::string, int>, int64_t> rpcs_;           // (method, code)
  std::map<std::string, Histogram> rpc_latency_;                  // by method
  std::map<std::string, int64_t> messages_;                       // by method
  int64_t storage_errors_ = 0;
};

// "OK", "CANCELLED", ... "UNAUTHENTICATED" for gRPC codes 0..16, else "UNKNOWN".
std::string_view GrpcCodeName(int code);

// Escapes a Prometheus label value (backslash, double quote, newline).
std::string PrometheusLabel(std::string_view value);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_SERVER_METRICS_H_
