#include "algorithms/stopping_percentile.h"

#include <optional>

namespace tuner {

using stopping_internal::FormatNumber;
using stopping_internal::FromScore;
using stopping_internal::ToScore;

PercentileStoppingRule::PercentileStoppingRule(const StoppingRuleOptions& options)
    : options_(options),
      is_median_(options.rule == "median"),
      percentile_(is_median_ ? 50.0 : options.percentile),
      curves_(options.use_running_average) {}

StoppingDecision PercentileStoppingRule::Observe(int64_t trial_id, int64_t step, double value) {
  const std::optional<double> aggregate =
      curves_.Observe(trial_id, step, ToScore(options_.goal, value));
  if (!aggregate || step < options_.grace_steps) return {};
  if (curves_.completed() < options_.min_trials) return {};
  const stopping_internal::OrderStatisticsSet* evidence = curves_.EvidenceAt(step);
  if (evidence == nullptr || static_cast<int64_t>(evidence->size()) < options_.min_trials) {
    return {};
  }
  // Scores grow with quality, so the boundary of the best p% is the
  // (100 - p)-th percentile of the scores.
  const double boundary = stopping_internal::Quantile(*evidence, 1.0 - percentile_ / 100.0);
  if (!(*aggregate < boundary)) return {};

  const std::string which =
      is_median_ ? "the median"
                 : "the " + stopping_internal::Ordinal(percentile_) + " percentile (from the best)";
  return {true, stopping_internal::MetricLabel(options_.metric) + " " +
                    FormatNumber(FromScore(options_.goal, *aggregate)) +
                    (options_.use_running_average ? " (running average)" : " (best so far)") +
                    " at step " + std::to_string(step) + " is worse than " + which + " " +
                    FormatNumber(FromScore(options_.goal, boundary)) + " of " +
                    std::to_string(evidence->size()) + " completed trials"};
}

void PercentileStoppingRule::Finish(int64_t trial_id, TrialState state) {
  curves_.Finish(trial_id, state == TrialState::kCompleted);
}

}  // namespace tuner
