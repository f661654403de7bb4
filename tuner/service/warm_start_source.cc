#include "tuner/service/warm_start_source.h"

#include <cmath>

namespace tuner {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string Domain(const ParameterSpec& p) {
  std::string out;
  if (p.type == ParameterType::kDouble || p.type == ParameterType::kInteger) {
    out =
        "[" +
        FormatValue(p.type == ParameterType::kInteger ? ParameterValue(static_cast<int64_t>(p.min))
                                                      : ParameterValue(p.min)) +
        ", " +
        FormatValue(p.type == ParameterType::kInteger ? ParameterValue(static_cast<int64_t>(p.max))
                                                      : ParameterValue(p.max)) +
        "]";
  } else {
    std::vector<std::string> values;
    for (const ParameterValue& v : p.values) values.push_back(FormatValue(v));
    out = "{" + Join(values) + "}";
  }
  if (p.type != ParameterType::kCategorical && p.scale != Scale::kLinear) {
    out += std::string(" ") + ToString(p.scale);
  }
  return std::string(ToString(p.type)) + " " + out;
}

}  // namespace

PriorStudy ToPriorStudy(const std::string& name, const StudySpec& spec,
                        const std::vector<Trial>& trials) {
  PriorStudy prior{name, {}};
  for (const Trial& t : trials) {
    if (t.state != TrialState::kCompleted && t.state != TrialState::kStopped &&
        t.state != TrialState::kFailed && t.state != TrialState::kInfeasible) {
      continue;
    }
    PriorTrial p{t.id, t.parameters, std::nullopt};
    const bool measured = t.state == TrialState::kCompleted || t.state == TrialState::kStopped;
    if (measured && t.final_measurement && !spec.objectives.empty()) {
      const Objective& objective = spec.objectives.front();
      auto it = t.final_measurement->metrics.find(objective.metric);
      if (it != t.final_measurement->metrics.end() && std::isfinite(it->second)) {
        p.value = objective.goal == Goal::kMaximize ? it->second : -it->second;
      }
    }
    prior.trials.push_back(std::move(p));
  }
  return prior;
}

absl::StatusOr<std::vector<PriorStudy>> LoadWarmStart(StudyApi& api, const StudySpec& spec,
                                                      bool require_all,
                                                      std::vector<std::string>* skipped) {
  std::vector<PriorStudy> priors;
  for (size_t i = 0; i < spec.warm_start.studies.size(); ++i) {
    const std::string& name = spec.warm_start.studies[i];
    auto study = api.GetStudy(name);
    if (study.status().code() == absl::StatusCode::kNotFound) {
      const std::string message = "warm_start.studies[" + std::to_string(i) + "]: no study \"" +
                                  name + "\" in this database";
      if (require_all) {
        return absl::NotFoundError(message + " (run it first, or remove it from warm_start)");
      }
      if (skipped != nullptr) skipped->push_back(message + "; warm-starting without it");
      continue;
    }
    if (!study.ok()) return study.status();
    TrialFilter filter;
    filter.states = {TrialState::kCompleted, TrialState::kStopped, TrialState::kFailed,
                     TrialState::kInfeasible};
    filter.with_measurements = false;
    auto trials = api.ListTrials(name, filter);
    if (!trials.ok()) return trials.status();
    priors.push_back(ToPriorStudy(name, *study->spec, *trials));
  }
  return priors;
}

std::vector<std::string> DescribeWarmStartMatch(const StudySpec& spec, const StudySpec& prior,
                                                const PriorStudy& prior_trials) {
  std::vector<std::string> matched, differ, only_here, only_there;
  for (const ParameterSpec& p : spec.space.parameters) {
    const ParameterSpec* q = prior.space.Find(p.name);
    if (q == nullptr) {
      only_here.push_back(p.name + (p.default_value
                                        ? " (its default " + FormatValue(*p.default_value) + ")"
                                        : " (the middle of its range)"));
      continue;
    }
    matched.push_back(p.name);
    if (Domain(p) != Domain(*q)) {
      differ.push_back(p.name + ": " + Domain(p) + " here, " + Domain(*q) + " there");
    }
  }
  for (const ParameterSpec& q : prior.space.parameters) {
    if (spec.space.Find(q.name) == nullptr) only_there.push_back(q.name);
  }
  int valued = 0, usable = 0;
  for (const PriorTrial& t : prior_trials.trials) {
    if (!t.value) continue;
    ++valued;
    if (MapIntoSpace(spec.space, t.parameters, true)) ++usable;
  }
  std::vector<std::string> out;
  out.push_back("matched: " + (matched.empty() ? std::string("none") : Join(matched)));
  if (!differ.empty()) {
    out.push_back("ranges differ (values outside this study's are clipped into it): " +
                  Join(differ));
  }
  if (!only_here.empty()) out.push_back("only here, taken as: " + Join(only_here));
  if (!only_there.empty()) out.push_back("only there (ignored): " + Join(only_there));
  const std::string metric = prior.objectives.empty() ? "?" : prior.objectives.front().metric;
  std::string trials = "trials: " + std::to_string(prior_trials.trials.size()) + " finished, " +
                       std::to_string(valued) + " with " + metric + ", " + std::to_string(usable) +
                       " inside this study's space";
  if (!spec.objectives.empty() && !prior.objectives.empty() &&
      (spec.objectives.front().metric != metric ||
       spec.objectives.front().goal != prior.objectives.front().goal)) {
    trials += " (note: its objective is " + metric + ", " +
              (prior.objectives.front().goal == Goal::kMaximize ? "maximised" : "minimised") +
              "; this study's is " + spec.objectives.front().metric + ")";
  }
  out.push_back(trials);
  return out;
}

}  // namespace tuner
