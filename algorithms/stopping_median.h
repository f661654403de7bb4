// Vizier's median stopping rule (Golovin et al., "Google Vizier", KDD 2017):
// a running trial stops at step s >= grace_steps when its best value so far
// (or its running average) is strictly worse than the median of the completed
// trials' values at s, once min_trials completed trials have a value there.
// The percentile rule at 50; the exact semantics are in stopping_percentile.h
// and docs/early-stopping.md.
#ifndef TUNER_ALGORITHMS_STOPPING_MEDIAN_H_
#define TUNER_ALGORITHMS_STOPPING_MEDIAN_H_

#include <memory>

#include "algorithms/stopping_rule.h"

namespace tuner {

// `options` must be valid (see MakeStoppingRule); its rule and percentile
// are ignored.
std::unique_ptr<StoppingRule> MakeMedianStoppingRule(const StoppingRuleOptions& options);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_STOPPING_MEDIAN_H_
