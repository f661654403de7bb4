// Validation of a study's `trainer` object (docs/study-format.md): command,
// cluster shape, environment, backend, timeout and metric collection.
// Internal to the study JSON parser.
#ifndef TUNER_STUDY_TRAINER_JSON_H_
#define TUNER_STUDY_TRAINER_JSON_H_

#include <string>

#include "study/json_reader.h"
#include "study/study_spec.h"

namespace tuner {

// Appends every fault of `value` (the `trainer` member, at `path`) to
// `faults`; fills `trainer` with what is valid and defaults for the rest.
void ParseTrainer(const Json& value, const std::string& path, FaultList* faults,
                  TrainerSpec* trainer);

}  // namespace tuner

#endif  // TUNER_STUDY_TRAINER_JSON_H_
