#include "algorithms/best_trials.h"

#include <algorithm>

namespace tuner {

std::optional<std::vector<double>> ObjectiveValues(const Trial& trial,
                                                   const std::vector<Objective>& objectives) {
  if (!trial.final_measurement) return std::nullopt;
  std::vector<double> values;
  for (const Objective& o : objectives) {
    auto it = trial.final_measurement->metrics.find(o.metric);
    if (it == trial.final_measurement->metrics.end()) return std::nullopt;
    values.push_back(it->second);
  }
  return values;
}

bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives) {
  bool better = false;
  for (size_t i = 0; i < objectives.size(); ++i) {
    const double sign = objectives[i].goal == Goal::kMaximize ? 1.0 : -1.0;
    const double da = sign * a[i], db = sign * b[i];
    if (da < db) return false;
    if (da > db) better = true;
  }
  return better;
}

std::vector<const Trial*> BestTrials(const std::vector<Trial>& trials,
                                     const std::vector<Objective>& objectives) {
  std::vector<const Trial*> candidates;
  std::vector<std::vector<double>> values;
  for (const Trial& t : trials) {
    if (t.state != TrialState::kCompleted) continue;
    auto v = ObjectiveValues(t, objectives);
    if (!v) continue;
    candidates.push_back(&t);
    values.push_back(std::move(*v));
  }
  std::vector<const Trial*> best;
  if (candidates.empty()) return best;
  if (objectives.size() == 1) {
    size_t b = 0;
    for (size_t i = 1; i < candidates.size(); ++i) {
      if (Dominates(values[i], values[b], objectives) ||
          (values[i] == values[b] && candidates[i]->id < candidates[b]->id)) {
        b = i;
      }
    }
    best.push_back(candidates[b]);
    return best;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < candidates.size() && !dominated; ++j) {
      dominated = j != i && Dominates(values[j], values[i], objectives);
    }
    if (!dominated) best.push_back(candidates[i]);
  }
  std::sort(best.begin(), best.end(), [](const Trial* a, const Trial* b) { return a->id < b->id; });
  return best;
}

}  // namespace tuner
