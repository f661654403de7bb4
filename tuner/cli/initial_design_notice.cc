#include "tuner/cli/initial_design_notice.h"

#include <algorithm>

#include "algorithms/gp_designer.h"

namespace tuner {
namespace {

// "warm start: ..." when the study names earlier studies, else "".
std::string WarmStartNotice(const StudySpec& spec) {
  const std::vector<std::string>& studies = spec.warm_start.studies;
  if (studies.empty()) return "";
  std::string names;
  for (const std::string& s : studies) names += (names.empty() ? "" : ", ") + s;
  std::string out = "warm start: the best configuration of " +
                    std::string(studies.size() == 1 ? "the earlier study" : "each earlier study") +
                    " (" + names + ") runs first";
  if (spec.algorithm.name == AlgorithmName::kBayesian) {
    out +=
        "; the model also learns from their trials while that explains this study's results "
        "better";
  }
  return out + "\n";
}

std::string GpDesignNotice(const StudySpec& spec) {
  if (spec.algorithm.name != AlgorithmName::kBayesian) return "";
  const int initial = GpInitialTrials(spec.space, spec.algorithm.initial_trials, spec.max_trials);
  const std::string why = spec.algorithm.initial_trials > 0
                              ? "algorithm.initial_trials"
                              : "the default: max(5, 2 x " +
                                    std::to_string(spec.space.parameters.size()) +
                                    " parameters), at most max(3, max_trials / 4); set "
                                    "algorithm.initial_trials to change it";
  const bool warm = !spec.warm_start.studies.empty();
  if (spec.max_trials <= initial) {
    return "bayesian: all " + std::to_string(spec.max_trials) +
           " trials will be quasi-random (Sobol): the model starts after " +
           std::to_string(initial) + (warm ? " after the warm start" : "") + " (" + why + ")\n";
  }
  if (warm) {
    return "bayesian: after the warm start, " + std::to_string(initial) +
           " quasi-random (Sobol) trials, then the Gaussian-process model proposes the rest of "
           "the " +
           std::to_string(spec.max_trials) + " (" + why + ")\n";
  }
  return "bayesian: the first " + std::to_string(initial) + " of " +
         std::to_string(spec.max_trials) +
         " trials are quasi-random (Sobol), the Gaussian-process model proposes the other " +
         std::to_string(spec.max_trials - initial) + " (" + why + ")\n";
}

}  // namespace

std::string InitialDesignNotice(const StudySpec& spec) {
  return WarmStartNotice(spec) + GpDesignNotice(spec);
}

}  // namespace tuner
