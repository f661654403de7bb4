#include "algorithms/stopping_asha.h"

#include <cmath>
#include <limits>

namespace tuner {

using stopping_internal::FormatNumber;
using stopping_internal::FromScore;
using stopping_internal::ToScore;

AshaStoppingRule::AshaStoppingRule(const StoppingRuleOptions& options) : options_(options) {
  rung_steps_.reserve(kMaxRungs);
  double step = static_cast<double>(options_.min_resource);
  for (size_t k = 0; k < kMaxRungs; ++k, step *= options_.eta) rung_steps_.push_back(step);
}

double AshaStoppingRule::RungStep(size_t k) const {
  return k < rung_steps_.size() ? rung_steps_[k] : std::numeric_limits<double>::infinity();
}

size_t AshaStoppingRule::RecordedTotal() const {
  size_t total = 0;
  for (const stopping_internal::OrderStatisticsSet& rung : rungs_) total += rung.size();
  return total;
}

StoppingDecision AshaStoppingRule::Observe(int64_t trial_id, int64_t step, double value) {
  if (!std::isfinite(value) || finished_.count(trial_id) != 0) return {};
  auto [it, first] = running_.try_emplace(trial_id);
  Running& running = it->second;
  if (!running.stop_reason.empty()) return {true, running.stop_reason};
  if (!first && step <= running.last_step) return {};
  running.last_step = step;

  const double score = ToScore(options_.goal, value);
  const bool may_stop = step >= options_.grace_steps && completed_ >= options_.min_trials;
  while (running.next_rung < kMaxRungs &&
         static_cast<double>(step) >= RungStep(running.next_rung)) {
    const size_t k = running.next_rung++;
    if (rungs_.size() <= k) rungs_.resize(k + 1);
    stopping_internal::OrderStatisticsSet& rung = rungs_[k];
    rung.insert({score, trial_id});
    const size_t n = rung.size();
    if (!may_stop) continue;
    const size_t keep = std::max<size_t>(
        1, static_cast<size_t>(std::floor(static_cast<double>(n) / options_.eta + 1e-9)));
    const size_t better = stopping_internal::CountBetter(rung, score);
    if (better < keep) continue;
    const double kth_best = rung.find_by_order(n - keep)->first;
    running.stop_reason =
        stopping_internal::MetricLabel(options_.metric) + " " + FormatNumber(value) + " at step " +
        std::to_string(step) + " is not in the top " + std::to_string(keep) + " (1/" +
        FormatNumber(options_.eta) + ") of the " + std::to_string(n) + " values at rung " +
        std::to_string(k) + " (step " + FormatNumber(RungStep(k)) + "): " + std::to_string(better) +
        " are better, the " + stopping_internal::Ordinal(static_cast<double>(keep)) + " best is " +
        FormatNumber(FromScore(options_.goal, kth_best));
    return {true, running.stop_reason};
  }
  return {};
}

void AshaStoppingRule::Finish(int64_t trial_id, TrialState state) {
  if (!finished_.insert(trial_id).second) return;
  running_.erase(trial_id);
  if (state == TrialState::kCompleted) ++completed_;
}

}  // namespace tuner
