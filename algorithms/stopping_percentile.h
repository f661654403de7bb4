// The percentile stopping rule, a generalisation of Vizier's median stopping
// rule (Golovin et al., "Google Vizier", KDD 2017, section 3.2.2).
//
// A running trial reporting at step s >= grace_steps stops when its aggregate
// (best value so far, or the running average of its values with
// use_running_average) is strictly worse than the given percentile of the
// completed trials' aggregates at s (see CompletedCurves for how a completed
// trial that did not report at s counts), provided at least min_trials
// completed trials have an aggregate there. The percentile counts from the
// best: percentile p keeps the trials at least as good as the boundary of the
// best p% of completed trials (p = 50 is the median; p = 25 keeps only the
// best quarter). The quantile is interpolated linearly between order
// statistics (numpy's default). STOPPED trials are not evidence: their curves
// end early, and counting them would let the rule feed on its own decisions.
//
// Observe is O(log n); see CompletedCurves for Finish.
#ifndef TUNER_ALGORITHMS_STOPPING_PERCENTILE_H_
#define TUNER_ALGORITHMS_STOPPING_PERCENTILE_H_

#include <string>

#include "algorithms/stopping_completed_curves.h"
#include "algorithms/stopping_rule.h"

namespace tuner {

class PercentileStoppingRule : public StoppingRule {
 public:
  // `options` valid for rule "percentile" (or "median", which is taken as
  // percentile 50 and says "the median" in its reasons).
  explicit PercentileStoppingRule(const StoppingRuleOptions& options);

  StoppingDecision Observe(int64_t trial_id, int64_t step, double value) override;
  void Finish(int64_t trial_id, TrialState state) override;

 private:
  StoppingRuleOptions options_;
  bool is_median_;
  double percentile_;
  stopping_internal::CompletedCurves curves_;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_STOPPING_PERCENTILE_H_
