#include "algorithms/designer_factory.h"

#include "algorithms/grid_designer.h"
#include "algorithms/random_designer.h"
#include "algorithms/sobol_designer.h"

namespace tuner {

absl::StatusOr<std::unique_ptr<Designer>> MakeDesigner(
    const DesignerOptions& options, const SearchSpace& space,
    const std::vector<Objective>& /*objectives*/) {
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
  std::string names;
  for (const std::string& name : AvailableDesigners()) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return absl::InvalidArgumentError("algorithm: unknown designer \"" + options.algorithm +
                                    "\"; expected one of " + names);
}

const std::vector<std::string>& AvailableDesigners() {
  static const std::vector<std::string>* const names =
      new std::vector<std::string>{"random", "grid", "sobol"};
  return *names;
}

}  // namespace tuner
