#include "tuner/cli/result_format.h"

#include <ctime>

#include "algorithms/search_space.h"
#include "study/assignment_json.h"
#include "study/trainer_command.h"
#include "tuner/cli/text_table.h"

namespace tuner {

nlohmann::json TrialJson(const Trial& t) {
  nlohmann::json metrics = nlohmann::json::object();
  if (t.final_measurement) {
    for (const auto& [k, v] : t.final_measurement->metrics) metrics[k] = v;
  }
  nlohmann::json out = {{"trial", t.id},      {"state", ToString(t.state)},
                        {"origin", t.origin}, {"parameters", AssignmentJson(t.parameters)},
                        {"metrics", metrics}, {"steps", t.measurements.size()}};
  if (!t.reason.empty()) out["reason"] = t.reason;
  if (!t.command.empty()) out["command"] = t.command;
  if (t.retry_of > 0) out["retry_of"] = t.retry_of;
  if (t.parent_trial > 0) {
    out["parent_trial"] = t.parent_trial;
    out["parent_step"] = t.parent_step;
  }
  if (!t.attempts.empty()) {
    // Earlier attempts (retries), oldest first; "attempt" is the current one.
    out["attempt"] = t.attempt();
    nlohmann::json attempts = nlohmann::json::array();
    for (const TrialAttempt& a : t.attempts) {
      attempts.push_back({{"attempt", a.number},
                          {"outcome", a.outcome},
                          {"reason", a.reason},
                          {"start_time", a.start_time},
                          {"end_time", a.end_time},
                          {"reports", a.reports},
                          {"last_step", a.last_step}});
    }
    out["attempts"] = std::move(attempts);
  }
  return out;
}

std::string CommandLineArgs(const Trial& t) {
  return ShellCommand(ParameterArguments(t.parameters));
}

std::string BestTrialText(const std::string& study, const Trial& t,
                          const std::vector<std::string>& objective_metrics) {
  std::string out = "study " + study + ", best trial " + std::to_string(t.id) + "\n";
  TextTable table({"name", "value"});
  for (const std::string& m : objective_metrics) {
    std::string value;
    if (t.final_measurement) {
      auto it = t.final_measurement->metrics.find(m);
      if (it != t.final_measurement->metrics.end()) value = FormatValue(it->second);
    }
    table.AddRow({m, value});
  }
  for (const auto& [k, v] : t.parameters) table.AddRow({k, FormatValue(v)});
  out += table.ToString();
  out += "command-line arguments: " + CommandLineArgs(t) + "\n";
  if (!t.command.empty()) {
    out += "command (as launched; `tuner rerun " + study + " " + std::to_string(t.id) +
           "` runs it): " + t.command + "\n";
  }
  return out;
}

std::vector<ScheduleEntry> ScheduleOf(const std::vector<Trial>& trials, const Trial& trial) {
  if (trial.parent_trial <= 0) return {};
  std::vector<const Trial*> ptrs;
  for (const Trial& t : trials) ptrs.push_back(&t);
  return PbtSchedule(ptrs, trial.id);
}

nlohmann::json ScheduleJson(const std::vector<ScheduleEntry>& schedule) {
  nlohmann::json out = nlohmann::json::array();
  for (const ScheduleEntry& e : schedule) {
    out.push_back({{"trial", e.trial},
                   {"from_step", e.from_step},
                   {"parameters", AssignmentJson(e.parameters)}});
  }
  return out;
}

std::string ScheduleText(const std::vector<ScheduleEntry>& schedule) {
  if (schedule.empty()) return "";
  std::string out = "schedule (PBT: the parameters its lineage trained with, from each step on):\n";
  for (const ScheduleEntry& e : schedule) {
    out += "  from step " + std::to_string(e.from_step) + " (trial " + std::to_string(e.trial) +
           "): " + ShellCommand(ParameterArguments(e.parameters)) + "\n";
  }
  return out;
}

std::vector<std::string> ObjectiveMetrics(const Study& study) {
  std::vector<std::string> out;
  for (const Objective& o : study.spec->objectives) out.push_back(o.metric);
  return out;
}

std::string UtcTime(double epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

}  // namespace tuner
