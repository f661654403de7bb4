#include "storage/json_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace tuner {
namespace {

using Json = nlohmann::json;

std::string DescribeNonFinite(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

// Json::dump throws on invalid UTF-8 (its only failure); the store's callers
// get a status that names the field, not the JSON library.
absl::StatusOr<std::string> Dump(const Json& json, absl::string_view what) {
  try {
    return json.dump();
  } catch (const Json::exception&) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": names and values must be valid UTF-8"));
  }
}

absl::StatusOr<Json> Parse(absl::string_view text, absl::string_view what) {
  Json json = Json::parse(std::string_view(text.data(), text.size()), /*cb=*/nullptr,
                          /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError(absl::StrCat("corrupt ", what, " in store: not JSON: ", text));
  }
  return json;
}

absl::Status Corrupt(absl::string_view what, absl::string_view text) {
  return absl::InternalError(absl::StrCat("corrupt ", what, " in store: ", text));
}

absl::StatusOr<Json> MetricsToJson(const std::map<std::string, double>& metrics) {
  Json json = Json::object();
  for (const auto& [name, value] : metrics) {
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(absl::StrCat("metric \"", name, "\" is ",
                                                     DescribeNonFinite(value),
                                                     "; only finite values can be stored"));
    }
    json[name] = value;
  }
  return json;
}

absl::StatusOr<std::map<std::string, double>> MetricsFromJson(const Json& json,
                                                              absl::string_view text) {
  if (!json.is_object()) return Corrupt("metrics", text);
  std::map<std::string, double> metrics;
  for (const auto& [name, value] : json.items()) {
    if (!value.is_number()) return Corrupt("metrics", text);
    metrics[name] = value.get<double>();
  }
  return metrics;
}

}  // namespace

absl::StatusOr<std::string> EncodeAssignment(const Assignment& assignment) {
  Json json = Json::object();
  for (const auto& [name, value] : assignment) {
    if (const double* d = std::get_if<double>(&value)) {
      if (!std::isfinite(*d)) {
        return absl::InvalidArgumentError(absl::StrCat("parameter \"", name, "\" is ",
                                                       DescribeNonFinite(*d),
                                                       "; only finite values can be stored"));
      }
      json[name] = *d;  // number_float: dumped with a '.' or an exponent
    } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
      json[name] = *i;
    } else {
      json[name] = std::get<std::string>(value);
    }
  }
  return Dump(json, "parameters");
}

absl::StatusOr<Assignment> DecodeAssignment(absl::string_view text) {
  absl::StatusOr<Json> json = Parse(text, "parameters");
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Corrupt("parameters", text);
  Assignment assignment;
  for (const auto& [name, value] : json->items()) {
    if (value.is_number_float()) {
      assignment[name] = value.get<double>();
    } else if (value.is_number_unsigned()) {
      // Non-negative integers parse as unsigned; beyond int64 no encoder wrote them.
      uint64_t u = value.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Corrupt("parameters", text);
      }
      assignment[name] = static_cast<int64_t>(u);
    } else if (value.is_number_integer()) {
      assignment[name] = value.get<int64_t>();
    } else if (value.is_string()) {
      assignment[name] = value.get<std::string>();
    } else {
      return Corrupt("parameters", text);
    }
  }
  return assignment;
}

absl::StatusOr<std::string> EncodeMetrics(const std::map<std::string, double>& metrics) {
  absl::StatusOr<Json> json = MetricsToJson(metrics);
  if (!json.ok()) return json.status();
  return Dump(*json, "metrics");
}

absl::StatusOr<std::map<std::string, double>> DecodeMetrics(absl::string_view text) {
  absl::StatusOr<Json> json = Parse(text, "metrics");
  if (!json.ok()) return json.status();
  return MetricsFromJson(*json, text);
}

absl::StatusOr<std::string> EncodeMeasurement(const Measurement& measurement) {
  if (absl::Status status = CheckFinite(measurement); !status.ok()) return status;
  absl::StatusOr<Json> metrics = MetricsToJson(measurement.metrics);
  if (!metrics.ok()) return metrics.status();
  Json json = {{"step", measurement.step},
               {"elapsed_secs", measurement.elapsed_secs},
               {"metrics", *std::move(metrics)}};
  return Dump(json, "measurement");
}

absl::StatusOr<Measurement> DecodeMeasurement(absl::string_view text) {
  absl::StatusOr<Json> json = Parse(text, "measurement");
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Corrupt("measurement", text);
  auto step = json->find("step");
  auto elapsed = json->find("elapsed_secs");
  auto metrics_json = json->find("metrics");
  if (step == json->end() || !step->is_number_integer() || elapsed == json->end() ||
      !elapsed->is_number() || metrics_json == json->end()) {
    return Corrupt("measurement", text);
  }
  absl::StatusOr<std::map<std::string, double>> metrics = MetricsFromJson(*metrics_json, text);
  if (!metrics.ok()) return metrics.status();
  Measurement measurement;
  measurement.step = step->get<int64_t>();
  measurement.elapsed_secs = elapsed->get<double>();
  measurement.metrics = *std::move(metrics);
  return measurement;
}

absl::StatusOr<std::string> EncodeAttempts(const std::vector<TrialAttempt>& attempts) {
  Json json = Json::array();
  for (const TrialAttempt& a : attempts) {
    if (!std::isfinite(a.start_time) || !std::isfinite(a.end_time)) {
      return absl::InvalidArgumentError("attempt times must be finite");
    }
    json.push_back({{"number", a.number},
                    {"start_time", a.start_time},
                    {"end_time", a.end_time},
                    {"outcome", a.outcome},
                    {"reason", a.reason},
                    {"reports", a.reports},
                    {"last_step", a.last_step}});
  }
  return Dump(json, "attempt");
}

absl::StatusOr<std::vector<TrialAttempt>> DecodeAttempts(absl::string_view text) {
  absl::StatusOr<Json> json = Parse(text, "attempts");
  if (!json.ok()) return json.status();
  if (!json->is_array()) return Corrupt("attempts", text);
  std::vector<TrialAttempt> out;
  for (const Json& a : *json) {
    if (!a.is_object()) return Corrupt("attempts", text);
    TrialAttempt attempt;
    try {
      attempt.number = a.at("number").get<int>();
      attempt.start_time = a.at("start_time").get<double>();
      attempt.end_time = a.at("end_time").get<double>();
      attempt.outcome = a.at("outcome").get<std::string>();
      attempt.reason = a.at("reason").get<std::string>();
      attempt.reports = a.at("reports").get<int64_t>();
      attempt.last_step = a.at("last_step").get<int64_t>();
    } catch (const Json::exception&) {
      return Corrupt("attempts", text);
    }
    out.push_back(std::move(attempt));
  }
  return out;
}

absl::Status CheckFinite(const Measurement& measurement) {
  if (!std::isfinite(measurement.elapsed_secs)) {
    return absl::InvalidArgumentError(absl::StrCat("measurement elapsed_secs is ",
                                                   DescribeNonFinite(measurement.elapsed_secs),
                                                   "; only finite values can be stored"));
  }
  for (const auto& [name, value] : measurement.metrics) {
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(absl::StrCat("metric \"", name, "\" is ",
                                                     DescribeNonFinite(value),
                                                     "; only finite values can be stored"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tuner
