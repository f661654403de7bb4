#include "tuner/cli/initial_design_notice.h"

#include <algorithm>

#include "algorithms/gp_designer.h"

namespace tuner {

std::string InitialDesignNotice(const StudySpec& spec) {
  if (spec.algorithm.name != AlgorithmName::kBayesian) return "";
  const int initial =
      GpInitialTrials(spec.space, spec.algorithm.initial_trials, spec.max_trials);
  const std::string why = spec.algorithm.initial_trials > 0
                              ? "algorithm.initial_trials"
                              : "the default: max(5, 2 x " +
                                    std::to_string(spec.space.parameters.size()) +
                                    " parameters), at most max(3, max_trials / 4); set "
                                    "algorithm.initial_trials to change it";
  if (spec.max_trials <= initial) {
    return "bayesian: all " + std::to_string(spec.max_trials) +
           " trials will be quasi-random (Sobol): the model starts after " +
           std::to_string(initial) + " (" + why + ")\n";
  }
  return "bayesian: the first " + std::to_string(initial) + " of " +
         std::to_string(spec.max_trials) +
         " trials are quasi-random (Sobol), the Gaussian-process model proposes the other " +
         std::to_string(spec.max_trials - initial) + " (" + why + ")\n";
}

}  // namespace tuner
