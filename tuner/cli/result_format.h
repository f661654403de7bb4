// How results look to people (tables) and programs (JSON); shared by
// `tuner best`, `tuner trials` and `tuner run`. Domain types in, text out.
#ifndef TUNER_TUNER_CLI_RESULT_FORMAT_H_
#define TUNER_TUNER_CLI_RESULT_FORMAT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "algorithms/pbt.h"
#include "algorithms/trial.h"
#include "tuner/service/study_api.h"

namespace tuner {

// "2026-12-01 03:40:00 UTC".
std::string UtcTime(double epoch_seconds);

// {"trial": 3, "state": "COMPLETED", "parameters": {...}, "metrics": {...},
//  "steps": 8, "command": "cd /x && python3 train.py --lr=0.1", ...}
nlohmann::json TrialJson(const Trial& trial);
// "--learning_rate=0.01 --optimizer=adam": the arguments that re-run it.
std::string CommandLineArgs(const Trial& trial);
// A name/value table of the objective metrics then the parameters, with a
// heading and the command-line arguments.
std::string BestTrialText(const std::string& study, const Trial& trial,
                          const std::vector<std::string>& objective_metrics);
// A PBT member's schedule (algorithms/pbt.h PbtSchedule) read from `trials`;
// empty for a trial without a parent.
std::vector<ScheduleEntry> ScheduleOf(const std::vector<Trial>& trials, const Trial& trial);
// [{"trial": 1, "from_step": 0, "parameters": {...}}, ...]
nlohmann::json ScheduleJson(const std::vector<ScheduleEntry>& schedule);
// "schedule (PBT): ...", one line per step the parameters changed at; "" when
// the schedule is empty.
std::string ScheduleText(const std::vector<ScheduleEntry>& schedule);
// The objective metric names of a study.
std::vector<std::string> ObjectiveMetrics(const Study& study);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_RESULT_FORMAT_H_
