// The evidence of the median and percentile rules: for every step at which a
// completed trial reported, the set of completed trials' aggregates there.
//
// A trial's aggregate at step s is its best score so far (or, with
// use_running_average, the mean of its scores) over its reports at steps
// <= s; a completed trial that did not report at s counts with its aggregate
// at its largest reported step <= s, so the set at a step holds every
// completed trial that had reported by then. A query at a step between two
// stored steps uses the nearest stored step below (no completed trial
// reported in between, so the sets agree); a query beyond the last stored
// step uses the last one (every completed trial, with its final aggregate).
//
// At most kMaxEvidenceSteps steps are stored: once that many distinct steps
// are, a completed curve adds no new ones and is inserted only at the stored
// steps (with its aggregate as of each), so a query at a step between or
// beyond stored steps compares with the completed trials as of the nearest
// stored step below. Studies with up to that many distinct steps (epochs,
// evaluation points) are unaffected.
//
// Costs: Observe and EvidenceAt O(log n) (n trials, K <= kMaxEvidenceSteps
// distinct steps among completed trials); Complete O(K log n) to insert the
// curve at every stored step at or after its first report, plus O(n log n) per
// step it is the first completed trial to report at. Memory O(K n): at most
// 1024 entries (~64 B each) per completed trial, whatever steps clients use.
// Not thread-safe.
#ifndef TUNER_ALGORITHMS_STOPPING_COMPLETED_CURVES_H_
#define TUNER_ALGORITHMS_STOPPING_COMPLETED_CURVES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "algorithms/stopping_common.h"

namespace tuner::stopping_internal {

class CompletedCurves {
 public:
  static constexpr size_t kMaxEvidenceSteps = 1024;

  explicit CompletedCurves(bool use_running_average) : use_running_average_(use_running_average) {}

  // Records `score` for the running trial and returns its aggregate at `step`;
  // nullopt (nothing recorded) when the trial has finished, the step is not
  // above its previous one, or the score is not finite.
  std::optional<double> Observe(int64_t trial_id, int64_t step, double score);

  // The trial is final. Its curve becomes evidence when `as_evidence` (a
  // COMPLETED trial) and it reported at least once; otherwise it is dropped.
  void Finish(int64_t trial_id, bool as_evidence);

  // The completed trials' aggregates at `step` (see above); nullptr when no
  // completed trial had reported at or before `step`.
  const OrderStatisticsSet* EvidenceAt(int64_t step) const;

  // Completed trials that reported at least once.
  int64_t completed() const { return completed_; }
  // Distinct steps holding evidence (<= kMaxEvidenceSteps).
  size_t stored_steps() const { return by_step_.size(); }

 private:
  struct RunningCurve {
    int64_t last_step = 0;
    double best = 0;
    double sum = 0;
    int64_t count = 0;
    std::vector<std::pair<int64_t, double>> aggregates;  // (step, aggregate), steps increasing
  };

  const bool use_running_average_;
  std::unordered_map<int64_t, RunningCurve> running_;
  std::unordered_set<int64_t> finished_;
  std::map<int64_t, OrderStatisticsSet> by_step_;  // every step a completed trial reported at
  int64_t completed_ = 0;
};

}  // namespace tuner::stopping_internal

#endif  // TUNER_ALGORITHMS_STOPPING_COMPLETED_CURVES_H_
