#include "tuner/result_format.h"

#include <map>

#include "algorithms/search_space.h"
#include "study/study_json.h"
#include "tuner/text_table.h"

namespace tuner {
namespace {

nlohmann::json ToJson(const v1::ParameterValue& v) {
  switch (v.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return v.double_value();
    case v1::ParameterValue::kIntValue:
      return v.int_value();
    default:
      return v.string_value();
  }
}

// Parameters in name order (proto maps have none).
std::map<std::string, v1::ParameterValue> Sorted(const v1::Trial& t) {
  return {t.parameters().begin(), t.parameters().end()};
}

}  // namespace

std::string FormatParameter(const v1::ParameterValue& v) {
  switch (v.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return FormatValue(v.double_value());
    case v1::ParameterValue::kIntValue:
      return FormatValue(static_cast<int64_t>(v.int_value()));
    default:
      return v.string_value();
  }
}

nlohmann::json TrialJson(const v1::Trial& t) {
  nlohmann::json params = nlohmann::json::object(), metrics = nlohmann::json::object();
  for (const auto& [k, v] : Sorted(t)) params[k] = ToJson(v);
  for (const auto& [k, v] : t.final_measurement().metrics()) metrics[k] = v;
  nlohmann::json out = {{"trial", t.id()},
                        {"state", v1::TrialState_Name(t.state())},
                        {"parameters", params},
                        {"metrics", metrics},
                        {"steps", t.measurements_size()}};
  if (!t.reason().empty()) out["reason"] = t.reason();
  return out;
}

std::string CommandLineArgs(const v1::Trial& t) {
  std::string args;
  for (const auto& [k, v] : Sorted(t)) {
    args += (args.empty() ? "--" : " --") + k + "=" + FormatParameter(v);
  }
  return args;
}

std::string BestTrialText(const std::string& study, const v1::Trial& t,
                          const std::vector<std::string>& objective_metrics) {
  std::string out = "study " + study + ", best trial " + std::to_string(t.id()) + "\n";
  TextTable table({"name", "value"});
  for (const std::string& m : objective_metrics) {
    auto it = t.final_measurement().metrics().find(m);
    table.AddRow({m, it == t.final_measurement().metrics().end() ? "" : FormatValue(it->second)});
  }
  for (const auto& [k, v] : Sorted(t)) table.AddRow({k, FormatParameter(v)});
  out += table.ToString();
  out += "command-line arguments: " + CommandLineArgs(t) + "\n";
  return out;
}

std::vector<std::string> ObjectiveMetrics(const v1::Study& study) {
  std::vector<std::string> out;
  auto spec = ParseStudyOrError(study.spec_json());
  if (spec.ok()) {
    for (const Objective& o : spec->objectives) out.push_back(o.metric);
  }
  return out;
}

}  // namespace tuner
