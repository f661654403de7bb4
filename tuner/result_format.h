// How results look to people (tables) and programs (JSON); shared by
// `tuner best`, `tuner trials` and `tuner run`.
#ifndef TUNER_TUNER_RESULT_FORMAT_H_
#define TUNER_TUNER_RESULT_FORMAT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tuner/v1/tuner.pb.h"

namespace tuner {

std::string FormatParameter(const v1::ParameterValue& value);
// {"trial": 3, "state": "COMPLETED", "parameters": {...}, "metrics": {...}, ...}
nlohmann::json TrialJson(const v1::Trial& trial);
// "--learning_rate=0.01 --optimizer=adam": the arguments that re-run it.
std::string CommandLineArgs(const v1::Trial& trial);
// A name/value table of the objective metrics then the parameters, with a
// heading and the command-line arguments.
std::string BestTrialText(const std::string& study, const v1::Trial& trial,
                          const std::vector<std::string>& objective_metrics);
// The objective metric names of a study's spec JSON.
std::vector<std::string> ObjectiveMetrics(const v1::Study& study);

}  // namespace tuner

#endif  // TUNER_TUNER_RESULT_FORMAT_H_
