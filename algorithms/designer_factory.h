// Builds a designer from the study's algorithm name.
#ifndef TUNER_ALGORITHMS_DESIGNER_FACTORY_H_
#define TUNER_ALGORITHMS_DESIGNER_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/designer.h"
#include "algorithms/objective.h"
#include "algorithms/search_space.h"

namespace tuner {

struct DesignerOptions {
  std::string algorithm = "random";  // random | grid | sobol
  uint64_t seed = 0;
};

// InvalidArgument for an unknown algorithm name.
absl::StatusOr<std::unique_ptr<Designer>> MakeDesigner(const DesignerOptions& options,
                                                       const SearchSpace& space,
                                                       const std::vector<Objective>& objectives);

// Names MakeDesigner accepts, in the order docs list them.
const std::vector<std::string>& AvailableDesigners();

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_DESIGNER_FACTORY_H_
