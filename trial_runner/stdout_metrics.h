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
// Only a line that carries the step key (trainer.metrics.step_key, default
// `epoch`) is a measurement: its step is that key's value, which must be a
// whole number >= 0 (the key is not kept as a metric), and its metrics are the
// other pairs on the line whose names are in `names` (trainer.metrics.names;
// every name when empty). Lines without the key are log lines and give
// nothing ("loading data from path=/tmp/data seed=7", "debug: batch=128
// took=0.10"); so do values that do not parse or are not finite, a line left
// with no collected metric, and a line over 4096 bytes.
//
// Thread-safety: a parser holds no state beyond its options; ParseLine is
// const.
#ifndef TUNER_TRIAL_RUNNER_STDOUT_METRICS_H_
#define TUNER_TRIAL_RUNNER_STDOUT_METRICS_H_

#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/trial.h"

namespace tuner {

class StdoutMetricParser {
 public:
  // InvalidArgument when `pattern` is not a valid ECMAScript regex or has
  // fewer than two capture groups, or `step_key` is empty.
  static absl::StatusOr<StdoutMetricParser> Create(const std::string& pattern,
                                                   const std::string& step_key = "epoch",
                                                   std::vector<std::string> names = {});

  // The measurement of `line` (without its newline), stamped with
  // `elapsed_secs`; nullopt when the line is not a measurement.
  std::optional<Measurement> ParseLine(std::string_view line, double elapsed_secs) const;

 private:
  StdoutMetricParser(std::regex regex, std::string step_key, std::set<std::string> names)
      : regex_(std::move(regex)), step_key_(std::move(step_key)), names_(std::move(names)) {}

  std::regex regex_;
  std::string step_key_;
  std::set<std::string> names_;  // empty = every name
};

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_STDOUT_METRICS_H_
