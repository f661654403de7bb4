// Metrics a trainer reports the way Cloud ML Engine's cloudml-hypertune
// library does (trainer.metrics.source = "hypertune"), turned into
// Measurements. No I/O: the launcher reads the file and passes its contents.
//
// The file holds one JSON object per line, one report each:
//   {"global_step": "1000", "my_metric_tag": "0.987", "timestamp": 1525851440.12, "trial": "0"}
// `global_step` is the step (an integer, or a string holding one; 0 when
// missing); every other key but `timestamp`, `trial` and `checkpoint_path`
// is a metric, its value a number or a string holding one. Only the metrics
// in `names` (trainer.metrics.names; every one when empty) are kept; lines
// that are not such objects, values that are not finite numbers and steps
// that are not whole numbers >= 0 are skipped.
//
// The library rewrites the whole file on each report (keeping its last 100
// lines), so Update() takes the whole file each time and consumes each line
// once: a line equal to one seen before is not new. A last line without its
// newline may be half written: it is left for the next read, unless `final`.
//
// The library writes one metric per line, so reports of the same step are
// merged: a measurement is complete once it holds every name in `names`, or
// when a report of another step arrives, or at the final read.
//
// Thread-safety: none; one reader per file.
#ifndef TUNER_TRIAL_RUNNER_HYPERTUNE_METRICS_H_
#define TUNER_TRIAL_RUNNER_HYPERTUNE_METRICS_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "algorithms/trial.h"

namespace tuner {

class HypertuneMetricReader {
 public:
  explicit HypertuneMetricReader(const std::vector<std::string>& names = {})
      : names_(names.begin(), names.end()) {}

  // The measurements completed by the lines of `contents` not seen before,
  // in file order, stamped with `elapsed_secs`. `final`: the writer has
  // ended, so the last line is complete and a pending measurement is too.
  std::vector<Measurement> Update(std::string_view contents, double elapsed_secs,
                                  bool final = false);

 private:
  void Consume(std::string_view line, double elapsed_secs, std::vector<Measurement>* out);

  std::set<std::string> names_;
  std::unordered_set<std::string> seen_;  // lines consumed
  std::optional<Measurement> pending_;    // reports of the latest step
};

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_HYPERTUNE_METRICS_H_
