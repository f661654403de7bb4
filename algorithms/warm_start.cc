#include "algorithms/warm_start.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tuner {
namespace {

std::optional<double> Numeric(const ParameterValue& v) {
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::nullopt;
}

bool Contains(const std::vector<ParameterValue>& values, const ParameterValue& v) {
  return std::any_of(values.begin(), values.end(),
                     [&](const ParameterValue& u) { return SameValue(u, v); });
}

// `value` of another study as a value of `spec`; nullopt when it has none.
std::optional<ParameterValue> MapValue(const ParameterSpec& spec, const ParameterValue& value) {
  const std::optional<double> x = Numeric(value);
  switch (spec.type) {
    case ParameterType::kDouble:
      if (!x || !std::isfinite(*x)) return std::nullopt;
      return ParameterValue(std::clamp(*x, spec.min, spec.max));
    case ParameterType::kInteger:
      if (!x || !std::isfinite(*x)) return std::nullopt;
      return ParameterValue(static_cast<int64_t>(std::clamp(std::round(*x), spec.min, spec.max)));
    case ParameterType::kDiscrete:
      if (Contains(spec.values, value)) {
        for (const ParameterValue& u : spec.values)
          if (SameValue(u, value)) return u;  // the spec's own type
      }
      if (!x || !std::isfinite(*x) || !Numeric(spec.values.front())) return std::nullopt;
      return FromUnit(spec, ToUnit(spec, ParameterValue(*x)));  // the nearest value
    case ParameterType::kCategorical:
      if (!Contains(spec.values, value)) return std::nullopt;
      return value;
  }
  return std::nullopt;
}

ParameterValue Fill(const ParameterSpec& spec) {
  if (spec.default_value) return *spec.default_value;
  return FromUnit(spec, 0.5);
}

}  // namespace

std::optional<Assignment> MapIntoSpace(const SearchSpace& space, const Assignment& assignment,
                                       bool fill_missing) {
  Assignment out;
  for (const ParameterSpec& spec : space.parameters) {  // parents first
    if (!space.IsActive(spec, out)) continue;
    auto it = assignment.find(spec.name);
    if (it == assignment.end()) {
      if (fill_missing) out.emplace(spec.name, Fill(spec));
      continue;
    }
    std::optional<ParameterValue> v = MapValue(spec, it->second);
    if (!v) return std::nullopt;
    out.emplace(spec.name, std::move(*v));
  }
  if (fill_missing && !space.Validate(out).ok()) return std::nullopt;
  return out;
}

std::vector<WarmStartConfig> WarmStartConfigs(const SearchSpace& space,
                                              const std::vector<PriorStudy>& priors) {
  std::vector<WarmStartConfig> out;
  for (const PriorStudy& prior : priors) {
    std::vector<const PriorTrial*> ranked;
    for (const PriorTrial& t : prior.trials)
      if (t.value && std::isfinite(*t.value)) ranked.push_back(&t);
    std::stable_sort(ranked.begin(), ranked.end(), [](const PriorTrial* a, const PriorTrial* b) {
      return *a->value > *b->value || (*a->value == *b->value && a->id < b->id);
    });
    for (const PriorTrial* t : ranked) {
      std::optional<Assignment> mapped = MapIntoSpace(space, t->parameters, true);
      if (!mapped) continue;
      const bool repeat = std::any_of(out.begin(), out.end(), [&](const WarmStartConfig& c) {
        return c.parameters == *mapped;
      });
      if (!repeat) {
        out.push_back(
            {std::move(*mapped), "warm_start:" + prior.name + "#" + std::to_string(t->id)});
      }
      break;
    }
  }
  return out;
}

WarmStartDesigner::WarmStartDesigner(std::unique_ptr<Designer> inner,
                                     std::vector<WarmStartConfig> configs)
    : inner_(std::move(inner)), configs_(std::move(configs)) {}

void WarmStartDesigner::Update(const std::vector<const Trial*>& finished,
                               const std::vector<const Trial*>& active) {
  due_.clear();
  int64_t next_id = 1;
  for (const auto* list : {&finished, &active}) {
    for (const Trial* t : *list) next_id = std::max(next_id, t->id + 1);
  }
  for (size_t i = 0; i < configs_.size(); ++i) {
    bool done = false;
    for (const auto* list : {&finished, &active}) {
      for (const Trial* t : *list) {
        done = done || t->origin == configs_[i].origin || t->parameters == configs_[i].parameters;
      }
    }
    if (!done) due_.push_back(i);
  }
  // The wrapped designer sees the configurations still due as running.
  std::vector<Trial> placeholders(due_.size());
  std::vector<const Trial*> pending = active;
  for (size_t i = 0; i < due_.size(); ++i) {
    placeholders[i].id = next_id + static_cast<int64_t>(i);
    placeholders[i].state = TrialState::kActive;
    placeholders[i].parameters = configs_[due_[i]].parameters;
    pending.push_back(&placeholders[i]);
  }
  inner_->Update(finished, pending);
}

std::vector<Assignment> WarmStartDesigner::Suggest(int count) {
  std::vector<Assignment> out;
  origins_.clear();
  size_t taken = 0;
  while (static_cast<int>(out.size()) < count && taken < due_.size()) {
    const WarmStartConfig& c = configs_[due_[taken++]];
    out.push_back(c.parameters);
    origins_.push_back(c.origin);
  }
  due_.erase(due_.begin(), due_.begin() + static_cast<std::ptrdiff_t>(taken));
  if (static_cast<int>(out.size()) < count) {
    for (Assignment& a : inner_->Suggest(count - static_cast<int>(out.size()))) {
      out.push_back(std::move(a));
    }
    for (const std::string& o : inner_->origins()) origins_.push_back(o);
  }
  return out;
}

}  // namespace tuner
