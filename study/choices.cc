#include "study/choices.h"

namespace tuner {

const NamedChoices& AlgorithmChoices() {
  static const NamedChoices* choices =
      new NamedChoices{{"random", "grid", "sobol", "bayesian", "hyperband"}, {}};
  return *choices;
}

const NamedChoices& AcquisitionChoices() {
  static const NamedChoices* choices = new NamedChoices{{"log_ei", "ucb"}, {}};
  return *choices;
}

const NamedChoices& StoppingRuleChoices() {
  static const NamedChoices* choices =
      new NamedChoices{{"none", "median", "percentile", "threshold", "asha"}, {}};
  return *choices;
}

const NamedChoices& BackendChoices() {
  static const NamedChoices* choices = new NamedChoices{{"local", "slurm"}, {}};
  return *choices;
}

const NamedChoices& MetricSourceChoices() {
  static const NamedChoices* choices = new NamedChoices{{"grpc", "stdout"}, {}};
  return *choices;
}

const NamedChoices& GoalChoices() {
  static const NamedChoices* choices = new NamedChoices{{"maximize", "minimize"}, {}};
  return *choices;
}

const NamedChoices& ParameterTypeChoices() {
  static const NamedChoices* choices =
      new NamedChoices{{"double", "integer", "discrete", "categorical"}, {}};
  return *choices;
}

const NamedChoices& ScaleChoices() {
  static const NamedChoices* choices = new NamedChoices{{"linear", "log", "reverse_log"}, {}};
  return *choices;
}

}  // namespace tuner
