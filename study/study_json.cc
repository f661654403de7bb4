#include "study/study_json.h"

#include <limits>
#include <map>

#include "absl/status/status.h"
#include "study/json_path.h"
#include "study/json_reader.h"
#include "study/json_text.h"
#include "study/parameters_json.h"
#include "study/trainer_json.h"

namespace tuner {
namespace {

constexpr size_t kMaxStudyNameLength = 128;
constexpr int kMaxInt = std::numeric_limits<int>::max();

const std::vector<std::string>& TopLevelKeys() {
  static const auto* keys = new std::vector<std::string>{"name",
                                                         "objective",
                                                         "objectives",
                                                         "algorithm",
                                                         "max_trials",
                                                         "max_parallel_trials",
                                                         "max_failed_trials",
                                                         "early_stopping",
                                                         "parameters",
                                                         "trainer"};
  return *keys;
}

bool IsStudyNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

void ParseStudyName(ObjectReader& reader, FaultList* faults, StudySpec* spec) {
  const Json* value = reader.Require("name", "letters, digits, '_', '.' or '-'");
  if (value == nullptr) return;
  const std::string path = reader.PathOf("name");
  std::optional<std::string> name = ReadString(*value, path, faults);
  if (!name) return;
  if (name->empty()) {
    faults->Add(path, "must not be empty");
    return;
  }
  if (name->size() > kMaxStudyNameLength) {
    faults->Add(path, "must be at most " + std::to_string(kMaxStudyNameLength) +
                          " characters (got " + std::to_string(name->size()) + ")");
    return;
  }
  for (size_t i = 0; i < name->size(); ++i) {
    if (!IsStudyNameChar((*name)[i])) {
      faults->Add(path, "may contain only letters, digits, '_', '.' and '-' (got " +
                            Describe(*value) + ", position " + std::to_string(i) + ")");
      return;
    }
  }
  spec->name = std::move(*name);
}

std::optional<Objective> ParseObjective(const Json& value, const std::string& path,
                                        FaultList* faults) {
  if (!value.is_object()) {
    faults->Add(path,
                "expected an object {\"metric\": ..., \"goal\": ...}, got " + TypeName(value));
    return std::nullopt;
  }
  const size_t faults_before = faults->size();
  ObjectReader reader(value, path, {"metric", "goal"}, faults);
  Objective objective;
  if (const Json* metric = reader.Require("metric", "the name of the metric to optimise")) {
    std::optional<std::string> name = ReadString(*metric, reader.PathOf("metric"), faults);
    if (name && name->empty()) faults->Add(reader.PathOf("metric"), "must not be empty");
    if (name) objective.metric = std::move(*name);
  }
  if (const Json* goal = reader.Require("goal", "maximize or minimize")) {
    std::optional<std::string> name =
        ReadChoice(*goal, reader.PathOf("goal"), GoalChoices(), faults);
    if (name) objective.goal = *name == "minimize" ? Goal::kMinimize : Goal::kMaximize;
  }
  if (faults->size() != faults_before) return std::nullopt;
  return objective;
}

void ParseObjectives(ObjectReader& reader, FaultList* faults, StudySpec* spec) {
  const Json* single = reader.Find("objective");
  const Json* several = reader.Find("objectives");
  if (single == nullptr && several == nullptr) {
    faults->Add(reader.PathOf("objective"),
                "required ({\"metric\": ..., \"goal\": ...}, or `objectives` for several)");
    return;
  }
  if (single != nullptr && several != nullptr) {
    faults->Add(reader.PathOf("objectives"),
                "not allowed together with objective (use objective for one metric, "
                "objectives for several)");
  }
  if (single != nullptr) {
    if (std::optional<Objective> o = ParseObjective(*single, reader.PathOf("objective"), faults)) {
      spec->objectives.push_back(std::move(*o));
    }
  }
  if (several == nullptr) return;
  const std::string path = reader.PathOf("objectives");
  if (!several->is_array()) {
    faults->Add(path, "expected an array of objectives, got " + TypeName(*several));
    return;
  }
  if (several->empty()) {
    faults->Add(path, "must list at least one objective");
    return;
  }
  std::map<std::string, size_t> seen;  // metric -> first index
  for (size_t i = 0; i < several->size(); ++i) {
    const std::string item_path = IndexPath(path, i);
    std::optional<Objective> o = ParseObjective((*several)[i], item_path, faults);
    if (!o) continue;
    auto [it, inserted] = seen.emplace(o->metric, i);
    if (!inserted) {
      faults->Add(KeyPath(item_path, "metric"), "duplicate metric " + Quote(o->metric) + " (also " +
                                                    IndexPath(path, it->second) + ")");
      continue;
    }
    if (single == nullptr) spec->objectives.push_back(std::move(*o));
  }
}

void ParseAlgorithm(const Json& value, const std::string& path, FaultList* faults,
                    AlgorithmSpec* algorithm) {
  ObjectReader reader(value, path, {"name", "seed"}, faults);
  reader.Choice("name", AlgorithmChoices(), &algorithm->name);
  reader.Unsigned("seed", &algorithm->seed);
}

void ParseEarlyStopping(const Json& value, const std::string& path, FaultList* faults,
                        EarlyStoppingSpec* early_stopping) {
  ObjectReader reader(value, path, {"rule", "min_trials", "grace_steps"}, faults);
  reader.Choice("rule", StoppingRuleChoices(), &early_stopping->rule);
  reader.Integer("min_trials", 1, kMaxInt, &early_stopping->min_trials);
  reader.Integer("grace_steps", 0, kMaxInt, &early_stopping->grace_steps);
}

void ParseStudyObject(const Json& document, FaultList* faults, StudySpec* spec) {
  ObjectReader reader(document, "", TopLevelKeys(), faults);
  ParseStudyName(reader, faults, spec);
  ParseObjectives(reader, faults, spec);
  if (const Json* algorithm = reader.Object("algorithm")) {
    ParseAlgorithm(*algorithm, reader.PathOf("algorithm"), faults, &spec->algorithm);
  }
  reader.Integer("max_trials", int64_t{1}, std::numeric_limits<int64_t>::max(), &spec->max_trials);
  reader.Integer("max_parallel_trials", 1, kMaxInt, &spec->max_parallel_trials);
  reader.Integer("max_failed_trials", 0, kMaxInt, &spec->max_failed_trials);
  if (const Json* early_stopping = reader.Object("early_stopping")) {
    ParseEarlyStopping(*early_stopping, reader.PathOf("early_stopping"), faults,
                       &spec->early_stopping);
  }
  if (const Json* parameters =
          reader.Require("parameters", "a non-empty array of parameter objects")) {
    ParseParameters(*parameters, reader.PathOf("parameters"), faults, &spec->space);
  }
  if (const Json* trainer = reader.Find("trainer")) {
    spec->has_trainer = true;
    ParseTrainer(*trainer, reader.PathOf("trainer"), faults, &spec->trainer);
  }
}

}  // namespace

std::string StudyFault::ToString() const {
  if (path.empty()) return message;
  return path + ": " + message;
}

StudyParseResult ParseStudy(std::string_view json_text) {
  StudyParseResult result;
  try {
    JsonText text = ReadJsonText(json_text);
    FaultList faults;
    for (StudyFault& fault : text.faults)
      faults.Add(std::move(fault.path), std::move(fault.message));
    if (text.value) {
      if (text.value->is_object()) {
        ParseStudyObject(*text.value, &faults, &result.spec);
      } else {
        faults.Add("", "expected a JSON object at the top level, got " + TypeName(*text.value));
      }
    }
    result.faults = std::move(faults.faults());
    SortByDocumentOrder(text.order, &result.faults);
  } catch (const std::exception& e) {
    // Not expected; keeps the promise that parsing never throws.
    result.faults.push_back({"", std::string("internal error while validating: ") + e.what()});
  }
  return result;
}

absl::StatusOr<StudySpec> ParseStudyOrError(std::string_view json_text) {
  StudyParseResult result = ParseStudy(json_text);
  if (result.ok()) return std::move(result.spec);
  std::string message;
  for (const StudyFault& fault : result.faults) {
    if (!message.empty()) message += '\n';
    message += fault.ToString();
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace tuner
