// Builds a designer from the study's algorithm name.
#ifndef TUNER_ALGORITHMS_DESIGNER_FACTORY_H_
#define TUNER_ALGORITHMS_DESIGNER_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/designer.h"
#include "algorithms/hyperband_designer.h"
#include "algorithms/objective.h"
#include "algorithms/pbt.h"
#include "algorithms/search_space.h"
#include "algorithms/warm_start.h"

namespace tuner {

struct DesignerOptions {
  std::string algorithm = "random";  // random | grid | sobol | bayesian | hyperband | pbt
  uint64_t seed = 0;
  // "bayesian" only (gp_designer.h):
  std::string acquisition = "log_ei";  // log_ei | ucb
  int initial_trials = 0;              // quasi-random trials first; 0: GpInitialTrials' default
  int64_t max_trials = 0;  // the study's budget (the default initial_trials adapts to it)
  // "hyperband" only (hyperband_designer.h): resource name, eta, variant, sampler.
  HyperbandOptions hyperband;
  // "pbt" only (pbt.h).
  PbtOptions pbt;
  // Earlier studies to start from (warm_start.h): random, sobol and bayesian
  // are wrapped in a WarmStartDesigner (bayesian also models them,
  // gp_transfer.h); hyperband starts its first configurations from them;
  // grid and pbt refuse them.
  std::vector<PriorStudy> warm_start;
};

// InvalidArgument for an unknown algorithm name or a bad option.
absl::StatusOr<std::unique_ptr<Designer>> MakeDesigner(const DesignerOptions& options,
                                                       const SearchSpace& space,
                                                       const std::vector<Objective>& objectives);

// Names MakeDesigner accepts, in the order docs list them.
const std::vector<std::string>& AvailableDesigners();

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_DESIGNER_FACTORY_H_
