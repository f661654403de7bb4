#include "tuner/server/server_metrics.h"

#include <cstdio>
#include <cstdlib>
#include <set>

namespace tuner {
namespace {

// A number as Prometheus reads it.
std::string Number(double v) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {  // the shortest that reads back
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// gRPC codes that a storage fault produces (busy, disk full, damaged, or an
// unexpected SQLite error), as the service maps them.
bool IsStorageCode(int code) { return code == 8 || code == 13 || code == 14 || code == 15; }

}  // namespace

std::string_view GrpcCodeName(int code) {
  static constexpr std::array<std::string_view, 17> kNames = {"OK",
                                                              "CANCELLED",
                                                              "UNKNOWN",
                                                              "INVALID_ARGUMENT",
                                                              "DEADLINE_EXCEEDED",
                                                              "NOT_FOUND",
                                                              "ALREADY_EXISTS",
                                                              "PERMISSION_DENIED",
                                                              "RESOURCE_EXHAUSTED",
                                                              "FAILED_PRECONDITION",
                                                              "ABORTED",
                                                              "OUT_OF_RANGE",
                                                              "UNIMPLEMENTED",
                                                              "INTERNAL",
                                                              "UNAVAILABLE",
                                                              "DATA_LOSS",
                                                              "UNAUTHENTICATED"};
  return code >= 0 && code < static_cast<int>(kNames.size()) ? kNames[static_cast<size_t>(code)]
                                                             : "UNKNOWN";
}

std::string PrometheusLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void ServerMetrics::Histogram::Observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += seconds;
}

std::string ServerMetrics::MethodLabel(std::string_view method) const {
  std::string name(method);
  if (rpc_latency_.count(name) || messages_.count(name)) return name;
  std::set<std::string> known;
  for (const auto& [k, v] : rpc_latency_) known.insert(k);
  for (const auto& [k, v] : messages_) known.insert(k);
  return known.size() < kMaxMethods ? name : "other";
}

void ServerMetrics::RecordHttp(std::string_view route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++http_requests_[{std::string(route), status}];
  http_latency_[std::string(route)].Observe(seconds);
  if (status == 500 || status == 503) ++storage_errors_;
}

void ServerMetrics::RecordRpc(std::string_view method, int code, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string label = MethodLabel(method);
  ++rpcs_[{label, code}];
  rpc_latency_[label].Observe(seconds);
  if (IsStorageCode(code)) ++storage_errors_;
}

void ServerMetrics::RecordMessage(std::string_view method) {
  std::lock_guard<std::mutex> lock(mu_);
  ++messages_[MethodLabel(method)];
}

std::string ServerMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  auto histogram = [&out](const std::string& name, const std::string& label_name,
                          const std::map<std::string, Histogram>& by) {
    for (const auto& [label, h] : by) {
      const std::string l = label_name + "=\"" + PrometheusLabel(label) + "\"";
      int64_t cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.buckets[i];
        out += name + "_bucket{" + l + ",le=\"" + Number(kBuckets[i]) + "\"} " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket{" + l + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
      out += name + "_sum{" + l + "} " + Number(h.sum) + "\n";
      out += name + "_count{" + l + "} " + std::to_string(h.count) + "\n";
    }
  };
  out += "# HELP tuner_http_requests_total HTTP requests answered, by route class and status.\n";
  out += "# TYPE tuner_http_requests_total counter\n";
  for (const auto& [key, n] : http_requests_) {
    out += "tuner_http_requests_total{route=\"" + PrometheusLabel(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP tuner_http_request_duration_seconds Time to answer an HTTP request.\n";
  out += "# TYPE tuner_http_request_duration_seconds histogram\n";
  histogram("tuner_http_request_duration_seconds", "route", http_latency_);
  out += "# HELP tuner_grpc_requests_total RPCs ended, by method and gRPC code.\n";
  out += "# TYPE tuner_grpc_requests_total counter\n";
  for (const auto& [key, n] : rpcs_) {
    out += "tuner_grpc_requests_total{method=\"" + PrometheusLabel(key.first) + "\",code=\"" +
           std::string(GrpcCodeName(key.second)) + "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP tuner_grpc_request_duration_seconds Time from an RPC's start to its status "
      "(a stream's lifetime for ReportMetrics).\n";
  out += "# TYPE tuner_grpc_request_duration_seconds histogram\n";
  histogram("tuner_grpc_request_duration_seconds", "method", rpc_latency_);
  out += "# HELP tuner_grpc_messages_received_total Messages received, by method.\n";
  out += "# TYPE tuner_grpc_messages_received_total counter\n";
  for (const auto& [method, n] : messages_) {
    out += "tuner_grpc_messages_received_total{method=\"" + PrometheusLabel(method) + "\"} " +
           std::to_string(n) + "\n";
  }
  int64_t reports = 0;
  if (auto it = messages_.find("ReportMetrics"); it != messages_.end()) reports = it->second;
  out += "# HELP tuner_reports_received_total Metric reports received on ReportMetrics streams.\n";
  out += "# TYPE tuner_reports_received_total counter\n";
  out += "tuner_reports_received_total " + std::to_string(reports) + "\n";
  out +=
      "# HELP tuner_storage_errors_total Requests that failed the way a storage fault does "
      "(gRPC RESOURCE_EXHAUSTED, INTERNAL, UNAVAILABLE, DATA_LOSS; HTTP 500, 503).\n";
  out += "# TYPE tuner_storage_errors_total counter\n";
  out += "tuner_storage_errors_total " + std::to_string(storage_errors_) + "\n";
  return out;
}

}  // namespace tuner
