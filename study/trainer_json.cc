#include "study/trainer_json.h"

#include <limits>
#include <regex>

#include "study/json_path.h"

namespace tuner {
namespace {

constexpr int kMaxInt = std::numeric_limits<int>::max();

bool IsEnvName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void ParseCommand(ObjectReader& reader, FaultList* faults, TrainerSpec* trainer) {
  const Json* command =
      reader.Require("command", "an array of strings: the program, then its arguments");
  if (command == nullptr) return;
  const std::string path = reader.PathOf("command");
  if (!command->is_array()) {
    faults->Add(path, "expected an array of strings, got " + TypeName(*command));
    return;
  }
  if (command->empty()) {
    faults->Add(path, "must not be empty (the program, then its arguments)");
    return;
  }
  std::vector<std::string> words;
  for (size_t i = 0; i < command->size(); ++i) {
    const std::string word_path = IndexPath(path, i);
    std::optional<std::string> word = ReadString((*command)[i], word_path, faults);
    if (!word) continue;
    if (i == 0 && word->empty()) {
      faults->Add(word_path, "the program must not be empty");
      continue;
    }
    words.push_back(std::move(*word));
  }
  if (words.size() == command->size()) trainer->command = std::move(words);
}

void ParseCluster(const Json& value, const std::string& path, FaultList* faults,
                  ClusterSpec* cluster) {
  ObjectReader reader(value, path, {"chief", "worker", "ps"}, faults);
  if (const Json* chief = reader.Find("chief")) {
    const std::string chief_path = reader.PathOf("chief");
    if (std::optional<int64_t> n = ReadInteger(*chief, chief_path, 0, kMaxInt, faults)) {
      if (*n != 1) {
        faults->Add(chief_path, "must be 1 (got " + std::to_string(*n) + ")");
      } else {
        cluster->chief = 1;
      }
    }
  }
  reader.Integer("worker", 0, kMaxInt, &cluster->worker);
  reader.Integer("ps", 0, kMaxInt, &cluster->ps);
}

void ParseEnv(const Json& value, const std::string& path, FaultList* faults,
              std::map<std::string, std::string>* env) {
  for (const auto& [name, v] : value.items()) {
    const std::string var_path = KeyPath(path, name);
    if (!IsEnvName(name)) {
      faults->Add(var_path,
                  "not a valid environment variable name (a letter or '_', then letters, digits "
                  "or '_')");
      continue;
    }
    if (!v.is_string()) {
      faults->Add(var_path,
                  "expected a string, got " + TypeName(v) +
                      (v.is_number() ? " (write it in quotes: \"" + v.dump() + "\")" : ""));
      continue;
    }
    (*env)[name] = v.get<std::string>();
  }
}

void ParseMetrics(const Json& value, const std::string& path, FaultList* faults,
                  MetricsSpec* metrics) {
  ObjectReader reader(value, path, {"source", "pattern"}, faults);
  const bool source_ok = reader.Find("source") == nullptr ||
                         reader.Choice("source", MetricSourceChoices(), &metrics->source);
  const Json* pattern = reader.Find("pattern");
  if (pattern == nullptr) return;
  const std::string pattern_path = reader.PathOf("pattern");
  std::optional<std::string> text = ReadString(*pattern, pattern_path, faults);
  if (!text || !source_ok) return;
  if (metrics->source != "stdout") {
    faults->Add(pattern_path, "only allowed with source \"stdout\"");
    return;
  }
  if (text->empty()) {
    faults->Add(pattern_path, "must not be empty (leave it out for name=value pairs)");
    return;
  }
  try {
    std::regex re(*text, std::regex::ECMAScript);
    if (re.mark_count() < 2) {
      faults->Add(pattern_path,
                  "must have at least 2 capture groups (1 = metric name, 2 = value), got " +
                      std::to_string(re.mark_count()));
      return;
    }
  } catch (const std::regex_error& e) {
    faults->Add(pattern_path,
                std::string("not a valid regular expression (ECMAScript): ") + e.what());
    return;
  }
  metrics->pattern = std::move(*text);
}

}  // namespace

void ParseTrainer(const Json& value, const std::string& path, FaultList* faults,
                  TrainerSpec* trainer) {
  if (!value.is_object()) {
    faults->Add(path, "expected an object, got " + TypeName(value));
    return;
  }
  ObjectReader reader(value, path, {"command", "cluster", "env", "backend", "timeout_s", "metrics"},
                      faults);
  ParseCommand(reader, faults, trainer);
  if (const Json* cluster = reader.Object("cluster")) {
    ParseCluster(*cluster, reader.PathOf("cluster"), faults, &trainer->cluster);
  }
  if (const Json* env = reader.Object("env")) {
    ParseEnv(*env, reader.PathOf("env"), faults, &trainer->env);
  }
  reader.Choice("backend", BackendChoices(), &trainer->backend);
  if (const Json* timeout = reader.Find("timeout_s")) {
    const std::string timeout_path = reader.PathOf("timeout_s");
    if (std::optional<double> t = ReadNumber(*timeout, timeout_path, faults)) {
      if (*t < 0) {
        faults->Add(timeout_path,
                    "must be at least 0 (got " + Describe(*timeout) + "); 0 means no timeout");
      } else {
        trainer->timeout_s = *t;
      }
    }
  }
  if (const Json* metrics = reader.Object("metrics")) {
    ParseMetrics(*metrics, reader.PathOf("metrics"), faults, &trainer->metrics);
  }
}

}  // namespace tuner
