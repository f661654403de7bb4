// The threshold stopping rule: a running trial reporting at step
// s >= grace_steps stops when its best value so far is strictly worse than a
// fixed threshold (below it when maximizing, above it when minimizing). Needs
// no other trial; O(1) per report.
#ifndef TUNER_ALGORITHMS_STOPPING_THRESHOLD_H_
#define TUNER_ALGORITHMS_STOPPING_THRESHOLD_H_

#include <unordered_map>
#include <unordered_set>

#include "algorithms/stopping_rule.h"

namespace tuner {

class ThresholdStoppingRule : public StoppingRule {
 public:
  // `options` valid for rule "threshold".
  explicit ThresholdStoppingRule(const StoppingRuleOptions& options) : options_(options) {}

  StoppingDecision Observe(int64_t trial_id, int64_t step, double value) override;
  void Finish(int64_t trial_id, TrialState state) override;

 private:
  struct Running {
    int64_t last_step = 0;
    double best_score = 0;
  };
  StoppingRuleOptions options_;
  std::unordered_map<int64_t, Running> running_;
  std::unordered_set<int64_t> finished_;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_STOPPING_THRESHOLD_H_
