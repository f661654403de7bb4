#include "study/choices.h"

#include <cstddef>

namespace tuner {

const NamedChoices& AlgorithmChoices() {
  static const NamedChoices* choices =
      new NamedChoices{{"random", "grid", "sobol", "bayesian", "hyperband", "pbt"}};
  return *choices;
}

const NamedChoices& AcquisitionChoices() {
  static const NamedChoices* choices = new NamedChoices{{"log_ei", "ucb"}};
  return *choices;
}

const NamedChoices& StoppingRuleChoices() {
  static const NamedChoices* choices =
      new NamedChoices{{"none", "median", "percentile", "threshold", "asha"}};
  return *choices;
}

const NamedChoices& BackendChoices() {
  static const NamedChoices* choices = new NamedChoices{{"local", "slurm"}};
  return *choices;
}

const NamedChoices& MetricSourceChoices() {
  static const NamedChoices* choices = new NamedChoices{{"grpc", "stdout", "hypertune"}};
  return *choices;
}

const NamedChoices& GoalChoices() {
  static const NamedChoices* choices = new NamedChoices{{"maximize", "minimize"}};
  return *choices;
}

const NamedChoices& ParameterTypeChoices() {
  static const NamedChoices* choices =
      new NamedChoices{{"double", "integer", "discrete", "categorical"}};
  return *choices;
}

const NamedChoices& ScaleChoices() {
  static const NamedChoices* choices = new NamedChoices{{"linear", "log", "reverse_log"}};
  return *choices;
}

const std::string& ToString(AlgorithmName value) {
  return AlgorithmChoices().available.at(static_cast<size_t>(value));
}
const std::string& ToString(StoppingRuleName value) {
  return StoppingRuleChoices().available.at(static_cast<size_t>(value));
}
const std::string& ToString(Backend value) {
  return BackendChoices().available.at(static_cast<size_t>(value));
}
const std::string& ToString(MetricSource value) {
  return MetricSourceChoices().available.at(static_cast<size_t>(value));
}

int ChoiceIndex(const NamedChoices& choices, const std::string& name) {
  for (size_t i = 0; i < choices.available.size(); ++i) {
    if (choices.available[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace tuner
