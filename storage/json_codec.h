// Typed JSON encodings of the values the SQLite store keeps in TEXT columns.
//
// Assignment: a JSON object name -> value. A double is written as a JSON
// float, which always has a '.' or an exponent (3.0, 1e+300, -0.0), an int64
// as a JSON integer and a string as a string, so each value comes back with
// its type. Doubles use the shortest text that reads back as the same bits.
// Metrics: a JSON object name -> number. Measurement:
// {"step": int, "elapsed_secs": float, "metrics": {...}}.
//
// Encoders return InvalidArgument for a NaN or infinite number (JSON cannot
// hold them) or a string that is not valid UTF-8; decoders return Internal
// for text that no encoder wrote (a corrupt or foreign file).
#ifndef TUNER_STORAGE_JSON_CODEC_H_
#define TUNER_STORAGE_JSON_CODEC_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "algorithms/trial.h"

namespace tuner {

absl::StatusOr<std::string> EncodeAssignment(const Assignment& assignment);
absl::StatusOr<Assignment> DecodeAssignment(absl::string_view json);

absl::StatusOr<std::string> EncodeMetrics(const std::map<std::string, double>& metrics);
absl::StatusOr<std::map<std::string, double>> DecodeMetrics(absl::string_view json);

absl::StatusOr<std::string> EncodeMeasurement(const Measurement& measurement);
absl::StatusOr<Measurement> DecodeMeasurement(absl::string_view json);

// A trial's earlier attempts: a JSON array of {"number", "start_time",
// "end_time", "outcome", "reason", "reports", "last_step"}.
absl::StatusOr<std::string> EncodeAttempts(const std::vector<TrialAttempt>& attempts);
absl::StatusOr<std::vector<TrialAttempt>> DecodeAttempts(absl::string_view json);

// InvalidArgument naming the first non-finite number of `measurement`
// (elapsed_secs or a metric), e.g. `metric "loss" is nan`.
absl::Status CheckFinite(const Measurement& measurement);

}  // namespace tuner

#endif  // TUNER_STORAGE_JSON_CODEC_H_
