#include "algorithms/stopping_threshold.h"

#include <algorithm>
#include <cmath>

#include "algorithms/stopping_common.h"

namespace tuner {

using stopping_internal::FormatNumber;
using stopping_internal::FromScore;
using stopping_internal::ToScore;

StoppingDecision ThresholdStoppingRule::Observe(int64_t trial_id, int64_t step, double value) {
  if (!std::isfinite(value) || finished_.count(trial_id) != 0) return {};
  const double score = ToScore(options_.goal, value);
  auto [it, first] = running_.try_emplace(trial_id, Running{step, score});
  Running& running = it->second;
  if (!first) {
    if (step <= running.last_step) return {};
    running.last_step = step;
    running.best_score = std::max(running.best_score, score);
  }
  if (step < options_.grace_steps) return {};
  if (!(running.best_score < ToScore(options_.goal, options_.threshold))) return {};
  return {true, stopping_internal::MetricLabel(options_.metric) + " " +
                    FormatNumber(FromScore(options_.goal, running.best_score)) +
                    " (best so far) at step " + std::to_string(step) +
                    " is worse than the threshold " + FormatNumber(options_.threshold) +
                    (options_.goal == Goal::kMaximize ? " (maximizing)" : " (minimizing)")};
}

void ThresholdStoppingRule::Finish(int64_t trial_id, TrialState /*state*/) {
  finished_.insert(trial_id);
  running_.erase(trial_id);
}

}  // namespace tuner
