// ParseAssignment and AssignmentToJson: a trial's parameter values as JSON.
#include "study/assignment_json.h"

#include <cmath>
#include <variant>

#include "absl/status/status.h"
#include "study/json_reader.h"
#include "study/json_text.h"
#include "study/study_json.h"

namespace tuner {
namespace {

// `value` as the type of `spec`; a fault at `path` when it cannot be.
std::optional<ParameterValue> CoerceValue(const ParameterSpec& spec, const Json& value,
                                          const std::string& path, FaultList* faults) {
  switch (spec.type) {
    case ParameterType::kInteger: {
      if (value.is_number_float()) {
        const double d = value.get<double>();
        if (d != std::floor(d)) {
          faults->Add(path, "expected an integer (integer parameter), got " + Describe(value));
          return std::nullopt;
        }
      } else if (!value.is_number()) {
        faults->Add(path, "expected an integer (integer parameter), got " + TypeName(value));
        return std::nullopt;
      }
      std::optional<int64_t> v = ReadInteger(value, path, std::numeric_limits<int64_t>::min(),
                                             std::numeric_limits<int64_t>::max(), faults);
      if (!v) return std::nullopt;
      return ParameterValue(*v);
    }
    case ParameterType::kDouble:
    case ParameterType::kDiscrete: {
      if (!value.is_number()) {
        faults->Add(path, std::string("expected a number (") + ToString(spec.type) +
                              " parameter), got " + TypeName(value));
        return std::nullopt;
      }
      const ParameterValue number(value.get<double>());
      for (const ParameterValue& allowed : spec.values) {
        if (SameValue(allowed, number)) return allowed;  // 32 for [32, 64], 1.0 for [0.5, 1]
      }
      return number;
    }
    case ParameterType::kCategorical: {
      if (!value.is_string()) {
        faults->Add(path, "expected a string (categorical parameter), got " + TypeName(value));
        return std::nullopt;
      }
      return ParameterValue(value.get<std::string>());
    }
  }
  return std::nullopt;
}

absl::StatusOr<Assignment> ParseAssignmentOrThrow(const SearchSpace& space,
                                                  std::string_view parameters_json) {
  JsonText text = ReadJsonText(parameters_json);
  FaultList faults;
  for (StudyFault& fault : text.faults) faults.Add(std::move(fault.path), std::move(fault.message));
  Assignment assignment;
  if (text.value && !text.value->is_object()) {
    faults.Add("", "expected an object of parameter name -> value, got " + TypeName(*text.value));
  } else if (text.value) {
    for (const auto& [name, value] : text.value->items()) {
      const std::string path = "parameters." + name;
      const ParameterSpec* spec = space.Find(name);
      if (spec == nullptr) {
        faults.Add(path, "not in the search space");
        continue;
      }
      if (std::optional<ParameterValue> v = CoerceValue(*spec, value, path, &faults)) {
        assignment[name] = std::move(*v);
      }
    }
  }
  if (faults.size() == 0) return assignment;
  std::string message;
  for (const StudyFault& fault : faults.faults()) {
    if (!message.empty()) message += '\n';
    message += fault.ToString();
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<Assignment> ParseAssignment(const SearchSpace& space,
                                           std::string_view parameters_json) {
  try {
    return ParseAssignmentOrThrow(space, parameters_json);
  } catch (const std::exception& e) {
    return absl::InternalError(std::string("parsing an assignment: ") + e.what());
  }
}

nlohmann::json ParameterJson(const ParameterValue& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json AssignmentJson(const Assignment& assignment) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : assignment) out[name] = ParameterJson(value);
  return out;
}

std::string AssignmentToJson(const Assignment& assignment) {
  // Non-finite doubles become null; invalid UTF-8 is replaced, never thrown.
  return AssignmentJson(assignment).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tuner
