// Validation of a study's `parameters` array (docs/study-format.md): names,
// types, ranges, value lists, scales and `when` conditions. Internal to the
// study JSON parser.
#ifndef TUNER_STUDY_PARAMETERS_JSON_H_
#define TUNER_STUDY_PARAMETERS_JSON_H_

#include <cstddef>
#include <string>

#include "algorithms/search_space.h"
#include "study/json_reader.h"

namespace tuner {

inline constexpr size_t kMaxParameters = 256;
inline constexpr size_t kMaxCategoricalValues = 1000;
inline constexpr size_t kMaxParameterNameLength = 128;

// Appends every fault of `value` (the `parameters` member, at `path`) to
// `faults`, and the parameters without faults to `space->parameters`.
void ParseParameters(const Json& value, const std::string& path, FaultList* faults,
                     SearchSpace* space);

}  // namespace tuner

#endif  // TUNER_STUDY_PARAMETERS_JSON_H_
