// Parameter values as JSON values: numbers as numbers (integers as JSON
// integers), categories as strings. The one conversion every reader of a
// trial's parameters uses (TUNER_PARAMS, `tuner trials --json`, the HTTP
// API); AssignmentToJson (study/study_json.h) is its text.
#ifndef TUNER_STUDY_ASSIGNMENT_JSON_H_
#define TUNER_STUDY_ASSIGNMENT_JSON_H_

#include <nlohmann/json.hpp>

#include "algorithms/search_space.h"

namespace tuner {

nlohmann::json ParameterJson(const ParameterValue& value);
// An object name -> ParameterJson(value).
nlohmann::json AssignmentJson(const Assignment& assignment);

}  // namespace tuner

#endif  // TUNER_STUDY_ASSIGNMENT_JSON_H_
