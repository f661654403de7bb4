// Metrics printed by a trainer on its stdout (trainer.metrics.source =
// "stdout"), turned into Measurements one line at a time. No I/O.
//
// The default pattern ("") finds `name=value` pairs anywhere on a line, like
// Katib's StdOut collector: names `[A-Za-z_][\w./-]*`, values decimal floats
// with an optional exponent, optional blanks around '=':
//   "epoch=3 loss=0.25 acc=9e-1"  ->  step 3, {loss: 0.25, acc: 0.9}
// A custom pattern is an ECMAScript regex matched repeatedly along the line;
// group 1 is the metric's name and group 2 its value.
//
// Each line with at least one metric is one Measurement. Its step is the
// integer value of a `step` metric, else of an `epoch` metric (that metric is
// not kept), else one more than the previous measurement's step (1 for the
// first). Values that do not parse or are not finite are skipped; a line left
// with no metric gives no measurement, and so does a line over 4096 bytes.
//
// Thread-safety: a parser keeps the step counter; use one per trial from one
// thread at a time.
#ifndef TUNER_TRIAL_RUNNER_STDOUT_METRICS_H_
#define TUNER_TRIAL_RUNNER_STDOUT_METRICS_H_

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "algorithms/trial.h"

namespace tuner {

class StdoutMetricParser {
 public:
  // InvalidArgument when `pattern` is not a valid ECMAScript regex or has
  // fewer than two capture groups.
  static absl::StatusOr<StdoutMetricParser> Create(const std::string& pattern);

  // The measurement of `line` (without its newline), stamped with
  // `elapsed_secs`; nullopt when the line holds no metric.
  std::optional<Measurement> ParseLine(std::string_view line, double elapsed_secs);

 private:
  explicit StdoutMetricParser(std::regex regex) : regex_(std::move(regex)) {}

  std::regex regex_;
  int64_t next_step_ = 1;
};

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_STDOUT_METRICS_H_
