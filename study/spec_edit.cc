#include "study/spec_edit.h"

#include <nlohmann/json.hpp>

#include "study/study_json.h"

namespace tuner {
namespace {

using Json = nlohmann::json;

std::string Values(const std::vector<ParameterValue>& values) {
  std::string out;
  for (const ParameterValue& v : values) out += (out.empty() ? "" : ", ") + FormatValue(v);
  return out;
}

bool Contains(const std::vector<ParameterValue>& values, const ParameterValue& v) {
  for (const ParameterValue& w : values) {
    if (SameValue(v, w)) return true;
  }
  return false;
}

std::string Range(const ParameterSpec& p) {
  if (p.type == ParameterType::kInteger) {
    return "[" + FormatValue(static_cast<int64_t>(p.min)) + ", " +
           FormatValue(static_cast<int64_t>(p.max)) + "]";
  }
  return "[" + FormatValue(p.min) + ", " + FormatValue(p.max) + "]";
}

std::string WhenText(const std::optional<Condition>& when) {
  if (!when) return "none";
  return when->parent + " in {" + Values(when->values) + "}";
}

bool SameWhen(const std::optional<Condition>& a, const std::optional<Condition>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  if (a->parent != b->parent || a->values.size() != b->values.size()) return false;
  for (const ParameterValue& v : a->values) {
    if (!Contains(b->values, v)) return false;
  }
  return true;
}

void DiffParameter(const ParameterSpec& a, const ParameterSpec& b, SpecEdit* edit) {
  const std::string field = "parameters." + a.name;
  if (a.type != b.type) {
    edit->refused.push_back(field + ": type changed from " + ToString(a.type) + " to " +
                            ToString(b.type));
    return;
  }
  if (a.type != ParameterType::kCategorical && a.scale != b.scale) {
    edit->refused.push_back(field + ": scale changed from " + ToString(a.scale) + " to " +
                            ToString(b.scale));
  }
  if (!SameWhen(a.when, b.when)) {
    edit->refused.push_back(field + ": when changed from " + WhenText(a.when) + " to " +
                            WhenText(b.when));
  }
  if (a.type == ParameterType::kDouble || a.type == ParameterType::kInteger) {
    if (a.min != b.min || a.max != b.max) {
      const bool wider = b.min <= a.min && b.max >= a.max;
      (wider ? edit->accepted : edit->refused)
          .push_back(field + ": range " + (wider ? "widened" : "narrowed") + " from " + Range(a) +
                     " to " + Range(b));
    }
  } else {
    std::vector<ParameterValue> removed, added;
    for (const ParameterValue& v : a.values) {
      if (!Contains(b.values, v)) removed.push_back(v);
    }
    for (const ParameterValue& v : b.values) {
      if (!Contains(a.values, v)) added.push_back(v);
    }
    if (!removed.empty()) edit->refused.push_back(field + ": values removed: " + Values(removed));
    if (!added.empty()) edit->accepted.push_back(field + ": values added: " + Values(added));
  }
  if (a.default_value && (!b.default_value || !SameValue(*a.default_value, *b.default_value))) {
    edit->refused.push_back(field + ": default changed from " + FormatValue(*a.default_value) +
                            " to " + (b.default_value ? FormatValue(*b.default_value) : "none"));
  } else if (!a.default_value && b.default_value) {
    edit->accepted.push_back(field + ": default " + FormatValue(*b.default_value) + " set");
  }
}

// The keys of two JSON objects whose values differ, as "<prefix>.<key>".
std::vector<std::string> ChangedKeys(const Json& a, const Json& b, const std::string& prefix) {
  std::vector<std::string> out;
  if (!a.is_object() || !b.is_object()) {
    if (a != b) out.push_back(prefix);
    return out;
  }
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key) || a.at(key) != value) out.push_back(prefix + "." + key);
  }
  for (const auto& [key, value] : a.items()) {
    if (!b.contains(key)) out.push_back(prefix + "." + key);
  }
  return out;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

SpecEdit DiffSpecs(const StudySpec& stored, const StudySpec& edited) {
  SpecEdit edit;
  const Json a = Json::parse(ToCanonicalJson(stored));
  const Json b = Json::parse(ToCanonicalJson(edited));
  auto value = [](const Json& j, const std::string& key) {
    return j.contains(key) ? j.at(key) : Json();
  };
  // Objectives: `objective` (one) or `objectives` (several).
  const Json objectives_a =
      a.contains("objective") ? value(a, "objective") : value(a, "objectives");
  const Json objectives_b =
      b.contains("objective") ? value(b, "objective") : value(b, "objectives");
  if (objectives_a != objectives_b) {
    edit.refused.push_back("objective: changed from " + Dump(objectives_a) + " to " +
                           Dump(objectives_b));
  }
  for (const char* key : {"max_trials", "max_parallel_trials", "max_failed_trials"}) {
    if (value(a, key) != value(b, key)) {
      edit.accepted.push_back(std::string(key) + ": " + Dump(value(a, key)) + " -> " +
                              Dump(value(b, key)));
    }
  }
  for (const std::string& f :
       ChangedKeys(value(a, "early_stopping"), value(b, "early_stopping"), "early_stopping")) {
    edit.accepted.push_back(f + ": changed");
  }
  if (stored.warm_start.studies != edited.warm_start.studies) {
    edit.accepted.push_back("warm_start.studies: " + Dump(value(a, "warm_start")) + " -> " +
                            Dump(value(b, "warm_start")));
  }
  if (stored.has_trainer != edited.has_trainer) {
    edit.accepted.push_back(std::string("trainer: ") + (edited.has_trainer ? "added" : "removed"));
  } else {
    for (const std::string& f : ChangedKeys(value(a, "trainer"), value(b, "trainer"), "trainer")) {
      edit.accepted.push_back(f + ": changed");
    }
  }
  // The algorithm: a new designer is built from the whole history. The
  // hyperband resource is a parameter of the space: it may not change.
  const bool hyperband_a = stored.algorithm.name == AlgorithmName::kHyperband;
  const bool hyperband_b = edited.algorithm.name == AlgorithmName::kHyperband;
  if (hyperband_a != hyperband_b ||
      (hyperband_a && Dump(value(value(a, "algorithm"), "resource")) !=
                          Dump(value(value(b, "algorithm"), "resource")))) {
    edit.refused.push_back(
        "algorithm.resource: the hyperband resource cannot be added, removed "
        "or changed");
  }
  for (const std::string& f :
       ChangedKeys(value(a, "algorithm"), value(b, "algorithm"), "algorithm")) {
    if (f == "algorithm.resource") continue;
    edit.accepted.push_back(f + ": changed");
  }
  // Parameters, by name (their order does not matter); the hyperband
  // resource was compared above.
  auto is_resource = [](const StudySpec& s, const ParameterSpec& p) {
    return s.algorithm.name == AlgorithmName::kHyperband && p.name == s.algorithm.resource.name;
  };
  for (const ParameterSpec& p : stored.space.parameters) {
    if (is_resource(stored, p)) continue;
    const ParameterSpec* q = edited.space.Find(p.name);
    if (q == nullptr || is_resource(edited, *q)) {
      edit.refused.push_back("parameters." + p.name + ": removed");
    } else {
      DiffParameter(p, *q, &edit);
    }
  }
  for (const ParameterSpec& q : edited.space.parameters) {
    if (is_resource(edited, q) || stored.space.Find(q.name) != nullptr) continue;
    if (q.default_value) {
      edit.accepted.push_back("parameters." + q.name + ": added (default " +
                              FormatValue(*q.default_value) + ")");
    } else {
      edit.refused.push_back("parameters." + q.name +
                             ": added without a default (the value old trials are taken to have "
                             "had)");
    }
  }
  return edit;
}

void FillDefaults(const SearchSpace& space, Assignment* trial_parameters) {
  // Parents come first, so a default may make a child with a default active.
  for (const ParameterSpec& p : space.parameters) {
    if (!p.default_value || trial_parameters->count(p.name) != 0) continue;
    if (!space.IsActive(p, *trial_parameters)) continue;
    trial_parameters->emplace(p.name, *p.default_value);
  }
}

}  // namespace tuner
