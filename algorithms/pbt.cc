#include "algorithms/pbt.h"

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>
#include <cmath>
#include <utility>

#include "algorithms/seeding.h"
#include "algorithms/stopping_common.h"

namespace tuner {
namespace {

using stopping_internal::FormatNumber;

double Oriented(Goal goal, double value) { return goal == Goal::kMaximize ? value : -value; }

// How many of n members the quantile takes (at least 1).
int64_t QuantileCount(double quantile, int64_t n) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::floor(quantile * static_cast<double>(n))));
}

}  // namespace

// ------------------------------------------------------------------ designer

PbtDesigner::PbtDesigner(SearchSpace space, Objective objective, uint64_t seed, PbtOptions options)
    : space_(std::move(space)), objective_(std::move(objective)), seed_(seed), options_(options) {}

void PbtDesigner::Update(const std::vector<const Trial*>& finished,
                         const std::vector<const Trial*>& active) {
  members_.clear();
  for (const auto* list : {&finished, &active}) {
    for (const Trial* t : *list) {
      Member m;
      m.id = t->id;
      m.state = t->state;
      m.exploited = t->reason.rfind(kPbtExploitReason, 0) == 0;
      m.parent_trial = t->parent_trial;
      m.parameters = t->parameters;
      const Measurement* latest = nullptr;
      if (!t->measurements.empty()) latest = &t->measurements.back();
      if (t->final_measurement && (!latest || t->final_measurement->step >= latest->step)) {
        latest = &*t->final_measurement;
      }
      if (latest) {
        auto it = latest->metrics.find(objective_.metric);
        if (it != latest->metrics.end() && std::isfinite(it->second)) {
          m.has_value = true;
          m.value = Oriented(objective_.goal, it->second);
          m.step = latest->step;
        }
      }
      members_.push_back(std::move(m));
    }
  }
  std::sort(members_.begin(), members_.end(),
            [](const Member& a, const Member& b) { return a.id < b.id; });
}

std::vector<Assignment> PbtDesigner::Suggest(int count) {
  std::vector<Assignment> out;
  origins_.clear();
  lineage_.clear();
  if (count <= 0) return out;
  // The initial population.
  int64_t initial = 0, children = 0;
  for (const Member& m : members_) (m.parent_trial == 0 ? initial : children) += 1;
  const int64_t total = static_cast<int64_t>(members_.size());
  std::vector<double> point(space_.parameters.size());
  while (initial < options_.population && static_cast<int>(out.size()) < count) {
    boost::random::mt19937_64 engine(DeriveSeed(seed_, static_cast<uint64_t>(total + out.size())));
    boost::random::uniform_01<double> uniform;
    for (double& u : point) u = uniform(engine);
    out.push_back(FromUnitPoint(space_, point));
    origins_.push_back("random");
    lineage_.push_back({});
    ++initial;
  }
  // Replacements: the exploited members not replaced yet, oldest first.
  std::vector<const Member*> pending;
  for (const Member& m : members_) {
    if (m.exploited) pending.push_back(&m);
  }
  if (static_cast<int64_t>(pending.size()) <= children) return out;
  pending.erase(pending.begin(), pending.begin() + children);
  // The top quantile: running members with a value, best first (a finished
  // member has nothing left to train).
  std::vector<const Member*> ranked;
  for (const Member& m : members_) {
    if (m.state == TrialState::kActive && m.has_value) ranked.push_back(&m);
  }
  if (ranked.empty()) return out;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Member* a, const Member* b) { return a->value > b->value; });
  const int64_t top = QuantileCount(options_.quantile, static_cast<int64_t>(ranked.size()));
  // The k-th replacement of the study draws from stream k: members are not
  // exploited in id order, so the stopped member's id would repeat a stream.
  int64_t replacement = children;
  for (size_t i = 0; i < pending.size(); ++i, ++replacement) {
    if (static_cast<int>(out.size()) >= count) break;
    boost::random::mt19937_64 engine(
        DeriveSeed(seed_ ^ 0x9b7c5e3d1a2f4680ULL, static_cast<uint64_t>(replacement)));
    const Member* parent = ranked[engine() % static_cast<uint64_t>(top)];
    out.push_back(Explore(parent->parameters, engine()));
    origins_.push_back("pbt");
    lineage_.push_back({parent->id, parent->step});
  }
  return out;
}

Assignment PbtDesigner::Explore(const Assignment& parent, uint64_t stream) const {
  boost::random::mt19937_64 engine(DeriveSeed(seed_, stream));
  boost::random::uniform_01<double> uniform;
  Assignment out;
  for (const ParameterSpec& spec : space_.parameters) {
    const double resample_u = uniform(engine);
    const double direction_u = uniform(engine);
    const double prior_u = uniform(engine);
    if (!space_.IsActive(spec, out)) continue;
    auto it = parent.find(spec.name);
    if (it == parent.end() || resample_u < options_.resample_probability ||
        spec.type == ParameterType::kCategorical) {
      out[spec.name] = FromUnit(spec, prior_u);
      continue;
    }
    const bool up = direction_u < 0.5;
    const double factor = up ? options_.perturb_high : options_.perturb_low;
    const ParameterValue& v = it->second;
    switch (spec.type) {
      case ParameterType::kDouble: {
        const double x = std::get<double>(v);
        double y = x * factor;
        if (spec.scale == Scale::kLinear && x == 0.0)
          y = x + (factor - 1.0) * (spec.max - spec.min);
        out[spec.name] = std::clamp(y, spec.min, spec.max);
        break;
      }
      case ParameterType::kInteger: {
        const int64_t x = std::get<int64_t>(v);
        out[spec.name] = std::clamp<int64_t>(x + (up ? 1 : -1), static_cast<int64_t>(spec.min),
                                             static_cast<int64_t>(spec.max));
        break;
      }
      case ParameterType::kDiscrete: {
        size_t index = 0;
        for (size_t i = 0; i < spec.values.size(); ++i) {
          if (SameValue(spec.values[i], v)) index = i;
        }
        if (up && index + 1 < spec.values.size()) ++index;
        if (!up && index > 0) --index;
        out[spec.name] = spec.values[index];
        break;
      }
      case ParameterType::kCategorical:
        break;  // drawn afresh above
    }
  }
  return out;
}

// ---------------------------------------------------------------------- rule

PbtStoppingRule::PbtStoppingRule(Goal goal, std::string metric, int64_t interval, double quantile)
    : goal_(goal),
      metric_(metric.empty() ? "value" : std::move(metric)),
      interval_(std::max<int64_t>(1, interval)),
      quantile_(quantile) {}

StoppingDecision PbtStoppingRule::Observe(int64_t trial_id, int64_t step, double value) {
  if (finished_.contains(trial_id) || !std::isfinite(value)) return {};
  auto [it, fresh] = running_.try_emplace(trial_id);
  Running& r = it->second;
  if (fresh) {
    r.next_decision = step - 1 + interval_;  // `interval` steps of its own first
  } else if (step <= r.step) {
    return {};
  }
  r.step = step;
  r.value = Oriented(goal_, value);
  if (step < r.next_decision) return {};
  while (r.next_decision <= step) r.next_decision += interval_;
  const int64_t n = static_cast<int64_t>(running_.size());
  const int64_t bottom = static_cast<int64_t>(std::floor(quantile_ * static_cast<double>(n)));
  if (bottom < 1) return {};
  std::vector<std::pair<double, int64_t>> ranked;  // (value, id), best first
  for (const auto& [id, other] : running_) ranked.emplace_back(other.value, id);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  const int64_t top = QuantileCount(quantile_, n);
  const double top_worst = ranked[static_cast<size_t>(top - 1)].first;
  size_t rank = 0;
  while (ranked[rank].second != trial_id) ++rank;
  if (static_cast<int64_t>(rank) < n - bottom || !(r.value < top_worst)) return {};
  const double shown = value;
  const double top_shown = goal_ == Goal::kMaximize ? top_worst : -top_worst;
  return {true, metric_ + " " + FormatNumber(shown) + " at step " + std::to_string(step) +
                    " ranks " + std::to_string(rank + 1) + " of " + std::to_string(n) +
                    " running members (bottom " + FormatNumber(100 * quantile_) +
                    "%; the top ones are at " + FormatNumber(top_shown) +
                    " or better): a copy of a top member continues in its place"};
}

void PbtStoppingRule::Finish(int64_t trial_id, TrialState state) {
  running_.erase(trial_id);
  finished_[trial_id] = state == TrialState::kCompleted;
}

// ------------------------------------------------------------------ schedule

std::vector<ScheduleEntry> PbtSchedule(const std::vector<const Trial*>& trials, int64_t trial_id) {
  std::map<int64_t, const Trial*> by_id;
  for (const Trial* t : trials) by_id[t->id] = t;
  std::vector<ScheduleEntry> out;
  std::map<int64_t, bool> seen;  // guards against a cycle in a damaged store
  for (auto it = by_id.find(trial_id); it != by_id.end() && !seen[it->first];) {
    seen[it->first] = true;
    const Trial& t = *it->second;
    out.push_back({t.id, t.parent_trial > 0 ? t.parent_step : 0, t.parameters});
    if (t.parent_trial <= 0) break;
    it = by_id.find(t.parent_trial);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace tuner
