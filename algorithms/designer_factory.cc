#include "algorithms/designer_factory.h"

#include "algorithms/gp_designer.h"
#include "algorithms/grid_designer.h"
#include "algorithms/hyperband_designer.h"
#include "algorithms/random_designer.h"
#include "algorithms/sobol_designer.h"

namespace tuner {

namespace {

absl::StatusOr<std::unique_ptr<Designer>> MakeColdDesigner(const DesignerOptions& options,
                                                           const SearchSpace& space,
                                                           const std::vector<Objective>& objectives,
                                                           int warm_start_trials) {
  if (options.algorithm == "random") {
    return std::make_unique<RandomDesigner>(space, options.seed);
  }
  if (options.algorithm == "grid") {
    return std::make_unique<GridDesigner>(space);
  }
  if (options.algorithm == "sobol") {
    SobolDesignerOptions sobol;
    sobol.seed = options.seed;
    return std::make_unique<SobolDesigner>(space, sobol);
  }
  if (options.algorithm == "bayesian") {
    GpDesignerOptions gp;
    gp.seed = options.seed;
    if (options.acquisition == "log_ei") {
      gp.acquisition = GpAcquisition::kLogEi;
    } else if (options.acquisition == "ucb") {
      gp.acquisition = GpAcquisition::kUcb;
    } else {
      return absl::InvalidArgumentError("algorithm.acquisition: unknown acquisition \"" +
                                        options.acquisition + "\"; expected one of log_ei, ucb");
    }
    if (options.initial_trials < 0) {
      return absl::InvalidArgumentError("algorithm.initial_trials: must be >= 0");
    }
    gp.initial_trials = options.initial_trials;
    gp.max_trials = options.max_trials;
    gp.priors = options.warm_start;
    gp.warm_start_trials = warm_start_trials;
    if (const int features = GpFeatureCount(space); features > kMaxGpFeatures) {
      return absl::InvalidArgumentError(
          "parameters: the bayesian algorithm takes at most " + std::to_string(kMaxGpFeatures) +
          " features (one per numeric parameter, one per categorical value); these parameters "
          "have " +
          std::to_string(features));
    }
    return std::make_unique<GpDesigner>(space, objectives, gp);
  }
  if (options.algorithm == "hyperband") {
    HyperbandOptions hyperband_options = options.hyperband;
    hyperband_options.warm_start = options.warm_start;
    auto hyperband = HyperbandDesigner::Create(space, objectives, options.seed, hyperband_options);
    if (!hyperband.ok()) return hyperband.status();
    return std::unique_ptr<Designer>(std::move(*hyperband));
  }
  if (options.algorithm == "pbt") {
    if (objectives.size() > 1) {
      return absl::InvalidArgumentError("algorithm pbt: optimises a single objective");
    }
    return std::unique_ptr<Designer>(std::make_unique<PbtDesigner>(
        space, objectives.empty() ? Objective{} : objectives.front(), options.seed, options.pbt));
  }
  std::string names;
  for (const std::string& name : AvailableDesigners()) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return absl::InvalidArgumentError("algorithm: unknown designer \"" + options.algorithm +
                                    "\"; expected one of " + names);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Designer>> MakeDesigner(const DesignerOptions& options,
                                                       const SearchSpace& space,
                                                       const std::vector<Objective>& objectives) {
  const bool wrapped = !options.warm_start.empty() &&
                       (options.algorithm == "random" || options.algorithm == "sobol" ||
                        options.algorithm == "bayesian");
  if (!options.warm_start.empty() && (options.algorithm == "grid" || options.algorithm == "pbt")) {
    return absl::InvalidArgumentError("warm_start: algorithm " + options.algorithm +
                                      " does not take a warm start");
  }
  std::vector<WarmStartConfig> configs;
  if (wrapped) configs = WarmStartConfigs(space, options.warm_start);
  auto designer = MakeColdDesigner(options, space, objectives, static_cast<int>(configs.size()));
  if (!designer.ok() || !wrapped) return designer;
  return std::unique_ptr<Designer>(
      std::make_unique<WarmStartDesigner>(std::move(*designer), std::move(configs)));
}

const std::vector<std::string>& AvailableDesigners() {
  static const std::vector<std::string>* const names =
      new std::vector<std::string>{"random", "grid", "sobol", "bayesian", "hyperband", "pbt"};
  return *names;
}

}  // namespace tuner
