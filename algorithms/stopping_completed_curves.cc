#include "algorithms/stopping_completed_curves.h"

#include <cmath>
#include <iterator>

namespace tuner::stopping_internal {

std::optional<double> CompletedCurves::Observe(int64_t trial_id, int64_t step, double score) {
  if (!std::isfinite(score) || finished_.count(trial_id) != 0) return std::nullopt;
  RunningCurve& curve = running_[trial_id];
  if (curve.count > 0 && step <= curve.last_step) return std::nullopt;
  curve.last_step = step;
  curve.best = curve.count == 0 ? score : std::max(curve.best, score);
  curve.sum += score;
  ++curve.count;
  const double aggregate =
      use_running_average_ ? curve.sum / static_cast<double>(curve.count) : curve.best;
  curve.aggregates.emplace_back(step, aggregate);
  return aggregate;
}

void CompletedCurves::Finish(int64_t trial_id, bool as_evidence) {
  if (!finished_.insert(trial_id).second) return;
  auto node = running_.extract(trial_id);
  if (node.empty() || !as_evidence) return;
  const std::vector<std::pair<int64_t, double>>& points = node.mapped().aggregates;
  if (points.empty()) return;

  // Stored steps this curve introduces start as a copy of the set at the
  // stored step below them: no completed trial reported in between. Up to
  // kMaxEvidenceSteps of them (see the header).
  for (const auto& [step, aggregate] : points) {
    if (by_step_.size() >= kMaxEvidenceSteps) break;
    auto it = by_step_.lower_bound(step);
    if (it != by_step_.end() && it->first == step) continue;
    OrderStatisticsSet carried;
    if (it != by_step_.begin()) carried = std::prev(it)->second;
    by_step_.emplace_hint(it, step, std::move(carried));
  }
  // Insert the curve at every stored step from its first report on, carrying
  // its aggregate forward between its own reports.
  size_t next = 0;
  for (auto it = by_step_.lower_bound(points.front().first); it != by_step_.end(); ++it) {
    while (next + 1 < points.size() && points[next + 1].first <= it->first) ++next;
    it->second.insert({points[next].second, trial_id});
  }
  ++completed_;
}

const OrderStatisticsSet* CompletedCurves::EvidenceAt(int64_t step) const {
  auto it = by_step_.upper_bound(step);
  if (it == by_step_.begin()) return nullptr;
  return &std::prev(it)->second;
}

}  // namespace tuner::stopping_internal
