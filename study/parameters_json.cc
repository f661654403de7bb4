#include "study/parameters_json.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "study/edit_distance.h"
#include "study/identifier.h"
#include "study/json_path.h"

namespace tuner {
namespace {

// Integer bounds are stored as doubles; beyond 2^53 they would not be exact.
constexpr int64_t kMaxExactInteger = int64_t{1} << 53;
constexpr size_t kMaxListedValues = 10;

const std::vector<std::string>& ParameterKeys() {
  static const auto* keys = new std::vector<std::string>{
      "name", "type", "min", "max", "values", "scale", "when", "default", "role"};
  return *keys;
}

// Names people use for the parameter types in other tools.
std::optional<std::string> TypeAlias(const std::string& type) {
  static const auto* aliases = new std::map<std::string, std::string>{
      {"float", "double"},     {"real", "double"},        {"number", "double"},
      {"int", "integer"},      {"long", "integer"},       {"choice", "categorical"},
      {"enum", "categorical"}, {"string", "categorical"}, {"category", "categorical"},
      {"ordinal", "discrete"},
  };
  auto it = aliases->find(type);
  if (it == aliases->end()) return std::nullopt;
  return it->second;
}

std::optional<ParameterType> TypeFromName(const std::string& name) {
  if (name == "double") return ParameterType::kDouble;
  if (name == "integer") return ParameterType::kInteger;
  if (name == "discrete") return ParameterType::kDiscrete;
  if (name == "categorical") return ParameterType::kCategorical;
  return std::nullopt;
}

Scale ScaleFromName(const std::string& name) {
  if (name == "log") return Scale::kLog;
  if (name == "reverse_log") return Scale::kReverseLog;
  return Scale::kLinear;
}

// "32, 64, 128" (quoted strings for categorical), shortened after a few.
std::string JoinValues(const std::vector<ParameterValue>& values) {
  std::string out;
  for (size_t i = 0; i < values.size() && i < kMaxListedValues; ++i) {
    if (i) out += ", ";
    const std::string* s = std::get_if<std::string>(&values[i]);
    out += s ? Quote(*s) : FormatValue(values[i]);
  }
  if (values.size() > kMaxListedValues) out += ", ...";
  return out;
}

class ParametersParser {
 public:
  ParametersParser(const Json& array, std::string path, FaultList* faults)
      : array_(array), path_(std::move(path)), faults_(faults) {}

  void Run(SearchSpace* space);

 private:
  void ParseOne(size_t index, const Json& value, SearchSpace* space);
  std::optional<std::string> ParseName(ObjectReader& reader);
  std::optional<ParameterType> ParseType(ObjectReader& reader);
  // Reports keys that do not apply to `type`; true when there were none.
  bool CheckKeysApply(ObjectReader& reader, ParameterType type);
  bool ParseRange(ObjectReader& reader, ParameterSpec* spec);
  bool ParseNumericValues(ObjectReader& reader, ParameterSpec* spec);
  bool ParseStringValues(ObjectReader& reader, ParameterSpec* spec);
  void ParseScale(ObjectReader& reader, bool values_ok, ParameterSpec* spec);
  std::optional<Condition> ParseCondition(const Json& when, const std::string& path, size_t index,
                                          const std::string& raw_name);
  // The parent of a condition if it may be one and has no faults itself.
  const ParameterSpec* ResolveParent(const std::string& parent, const std::string& path,
                                     size_t index, bool* parent_ok);
  std::optional<ParameterValue> ParseConditionValue(const Json& value, const std::string& path,
                                                    const ParameterSpec& parent);

  const Json& array_;
  const std::string path_;
  FaultList* faults_;
  std::map<std::string, size_t> declared_;            // every name in the array -> first index
  std::map<std::string, size_t> defined_;             // names of parameters parsed so far -> index
  std::vector<std::optional<ParameterSpec>> parsed_;  // by index; nullopt if it had faults
};

void ParametersParser::Run(SearchSpace* space) {
  if (!array_.is_array()) {
    faults_->Add(path_, "expected an array of parameters, got " + TypeName(array_));
    return;
  }
  if (array_.empty()) {
    faults_->Add(path_, "must list at least one parameter");
    return;
  }
  if (array_.size() > kMaxParameters) {
    faults_->Add(path_, "at most " + std::to_string(kMaxParameters) + " parameters (got " +
                            std::to_string(array_.size()) + ")");
  }
  for (size_t i = 0; i < array_.size(); ++i) {
    const Json& p = array_[i];
    if (!p.is_object()) continue;
    auto it = p.find("name");
    if (it != p.end() && it->is_string()) declared_.emplace(it->get<std::string>(), i);
  }
  for (size_t i = 0; i < array_.size(); ++i) ParseOne(i, array_[i], space);
}

void ParametersParser::ParseOne(size_t index, const Json& value, SearchSpace* space) {
  const std::string path = IndexPath(path_, index);
  if (!value.is_object()) {
    faults_->Add(path, "expected an object, got " + TypeName(value));
    parsed_.push_back(std::nullopt);
    return;
  }
  const size_t faults_before = faults_->size();
  ObjectReader reader(value, path, ParameterKeys(), faults_);
  ParameterSpec spec;
  std::optional<std::string> name = ParseName(reader);
  if (name) spec.name = *name;
  if (std::optional<ParameterType> type = ParseType(reader)) {
    spec.type = *type;
    // Type-specific checks only once the type is known, so that a bad type
    // does not bring a string of faults about its other keys.
    if (CheckKeysApply(reader, *type)) {
      bool values_ok = false;
      switch (*type) {
        case ParameterType::kDouble:
        case ParameterType::kInteger:
          values_ok = ParseRange(reader, &spec);
          break;
        case ParameterType::kDiscrete:
          values_ok = ParseNumericValues(reader, &spec);
          break;
        case ParameterType::kCategorical:
          values_ok = ParseStringValues(reader, &spec);
          break;
      }
      ParseScale(reader, values_ok, &spec);
      // `default`: a value of the parameter itself (checked as a `when` value is).
      if (const Json* def = reader.Find("default"); def != nullptr && values_ok) {
        spec.default_value = ParseConditionValue(*def, reader.PathOf("default"), spec);
      }
    }
  }
  if (const Json* role = reader.Find("role")) {
    const std::string role_path = reader.PathOf("role");
    if (std::optional<std::string> r = ReadString(*role, role_path, faults_)) {
      if (*r == "preprocessing") {
        spec.preprocessing = true;
      } else if (*r != "model") {
        faults_->Add(role_path, "expected \"model\" or \"preprocessing\", got \"" + *r + "\"");
      }
    }
  }
  if (const Json* when = reader.Find("when")) {
    const Json* raw_name = reader.Find("name");
    spec.when = ParseCondition(
        *when, reader.PathOf("when"), index,
        raw_name && raw_name->is_string() ? raw_name->get<std::string>() : std::string());
  }
  const bool ok = faults_->size() == faults_before;
  if (name && !defined_.contains(*name)) defined_.emplace(*name, index);
  parsed_.push_back(ok ? std::optional<ParameterSpec>(spec) : std::nullopt);
  if (ok) space->parameters.push_back(std::move(spec));
}

std::optional<std::string> ParametersParser::ParseName(ObjectReader& reader) {
  const Json* value = reader.Require("name");
  if (value == nullptr) return std::nullopt;
  const std::string path = reader.PathOf("name");
  std::optional<std::string> name = ReadString(*value, path, faults_);
  if (!name) return std::nullopt;
  if (name->size() > kMaxParameterNameLength) {
    faults_->Add(path, "must be at most " + std::to_string(kMaxParameterNameLength) +
                           " characters (got " + std::to_string(name->size()) + ")");
    return std::nullopt;
  }
  if (!IsIdentifier(*name)) {
    faults_->Add(path,
                 "must be an identifier (a letter or '_', then letters, digits or '_'), got " +
                     Describe(*value));
    return std::nullopt;
  }
  if (auto it = defined_.find(*name); it != defined_.end()) {
    faults_->Add(path, "duplicate parameter name " + Quote(*name) + " (also " +
                           IndexPath(path_, it->second) + ")");
    return std::nullopt;
  }
  return name;
}

std::optional<ParameterType> ParametersParser::ParseType(ObjectReader& reader) {
  const Json* value = reader.Require("type", "double, integer, discrete or categorical");
  if (value == nullptr) return std::nullopt;
  const std::string path = reader.PathOf("type");
  if (value->is_string()) {
    if (std::optional<std::string> alias = TypeAlias(value->get<std::string>())) {
      faults_->Add(path, "must be one of " + JoinNames(ParameterTypeChoices().available) +
                             " (got " + Describe(*value) + "; did you mean " + Quote(*alias) +
                             "?)");
      return std::nullopt;
    }
  }
  std::optional<std::string> name = ReadChoice(*value, path, ParameterTypeChoices(), faults_);
  if (!name) return std::nullopt;
  return TypeFromName(*name);
}

bool ParametersParser::CheckKeysApply(ObjectReader& reader, ParameterType type) {
  const std::string type_name = ToString(type);
  bool ok = true;
  auto reject = [&](const char* key, const std::string& advice) {
    if (reader.Find(key) == nullptr) return;
    faults_->Add(reader.PathOf(key), "not allowed for " + type_name + " parameters" + advice);
    ok = false;
  };
  switch (type) {
    case ParameterType::kDouble:
    case ParameterType::kInteger:
      reject("values", " (use min and max)");
      break;
    case ParameterType::kDiscrete:
      reject("min", " (use values)");
      reject("max", " (use values)");
      break;
    case ParameterType::kCategorical:
      reject("min", " (use values)");
      reject("max", " (use values)");
      reject("scale", "");
      break;
  }
  return ok;
}

bool ParametersParser::ParseRange(ObjectReader& reader, ParameterSpec* spec) {
  const bool integer = spec->type == ParameterType::kInteger;
  const std::string hint =
      std::string("a ") + ToString(spec->type) + " parameter needs min and max";
  std::optional<double> bound[2];
  const char* keys[2] = {"min", "max"};
  for (int i = 0; i < 2; ++i) {
    const Json* value = reader.Require(keys[i], hint);
    if (value == nullptr) continue;
    if (integer) {
      std::optional<int64_t> v =
          ReadInteger(*value, reader.PathOf(keys[i]), -kMaxExactInteger, kMaxExactInteger, faults_);
      if (v) bound[i] = static_cast<double>(*v);
    } else {
      bound[i] = ReadNumber(*value, reader.PathOf(keys[i]), faults_);
    }
  }
  if (!bound[0] || !bound[1]) return false;
  spec->min = *bound[0];
  spec->max = *bound[1];
  if (integer && spec->max < spec->min) {
    faults_->Add(reader.PathOf("max"),
                 "must be at least min (" + FormatValue(static_cast<int64_t>(spec->min)) + ")");
    return false;
  }
  if (!integer && !(spec->max > spec->min)) {
    faults_->Add(reader.PathOf("max"), "must be greater than min (" + FormatValue(spec->min) + ")");
    return false;
  }
  return true;
}

bool ParametersParser::ParseNumericValues(ObjectReader& reader, ParameterSpec* spec) {
  const Json* values = reader.Require("values", "a non-empty array of numbers");
  if (values == nullptr) return false;
  const std::string path = reader.PathOf("values");
  if (!values->is_array()) {
    faults_->Add(path, "expected an array of numbers, got " + TypeName(*values));
    return false;
  }
  if (values->empty()) {
    faults_->Add(path, "must list at least one value");
    return false;
  }
  bool ok = true;
  std::map<double, size_t> seen;  // value -> first index
  for (size_t i = 0; i < values->size(); ++i) {
    const std::string element_path = IndexPath(path, i);
    std::optional<double> v = ReadNumber((*values)[i], element_path, faults_);
    if (!v) {
      ok = false;
      continue;
    }
    auto [it, inserted] = seen.emplace(*v, i);
    if (!inserted) {
      faults_->Add(element_path, "duplicate value " + FormatValue(*v) + " (also " +
                                     IndexPath(path, it->second) + ")");
      ok = false;
    }
  }
  if (!ok) return false;
  // Whole numbers only: the values are integers (an int in Python, `32` in
  // TUNER_PARAMS); any fraction keeps them all doubles.
  bool whole = true;
  for (const auto& [v, i] : seen) {
    whole = whole && v == std::floor(v) && std::abs(v) <= static_cast<double>(kMaxExactInteger);
  }
  for (const auto& [v, i] : seen) {  // ascending
    if (whole) {
      spec->values.emplace_back(static_cast<int64_t>(v));
    } else {
      spec->values.emplace_back(v);
    }
  }
  return true;
}

bool ParametersParser::ParseStringValues(ObjectReader& reader, ParameterSpec* spec) {
  const Json* values = reader.Require("values", "a non-empty array of strings");
  if (values == nullptr) return false;
  const std::string path = reader.PathOf("values");
  if (!values->is_array()) {
    faults_->Add(path, "expected an array of strings, got " + TypeName(*values));
    return false;
  }
  if (values->empty()) {
    faults_->Add(path, "must list at least one value");
    return false;
  }
  if (values->size() > kMaxCategoricalValues) {
    faults_->Add(path, "at most " + std::to_string(kMaxCategoricalValues) + " values (got " +
                           std::to_string(values->size()) + ")");
    return false;
  }
  bool ok = true;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < values->size(); ++i) {
    const std::string element_path = IndexPath(path, i);
    std::optional<std::string> v = ReadString((*values)[i], element_path, faults_);
    if (!v) {
      ok = false;
      continue;
    }
    if (v->empty()) {
      faults_->Add(element_path, "must not be empty");
      ok = false;
      continue;
    }
    auto [it, inserted] = seen.emplace(*v, i);
    if (!inserted) {
      faults_->Add(element_path,
                   "duplicate value " + Quote(*v) + " (also " + IndexPath(path, it->second) + ")");
      ok = false;
      continue;
    }
    spec->values.emplace_back(std::move(*v));
  }
  return ok;
}

void ParametersParser::ParseScale(ObjectReader& reader, bool values_ok, ParameterSpec* spec) {
  std::string name = "linear";
  if (spec->type == ParameterType::kCategorical || !reader.Choice("scale", ScaleChoices(), &name)) {
    return;
  }
  spec->scale = ScaleFromName(name);
  if (spec->scale == Scale::kLinear || !values_ok) return;
  const std::string needs = "must be greater than 0 with scale " + Quote(name);
  if (spec->type == ParameterType::kDiscrete) {
    const ParameterValue& smallest = spec->values.front();
    if (std::holds_alternative<int64_t>(smallest) ? std::get<int64_t>(smallest) <= 0
                                                  : std::get<double>(smallest) <= 0) {
      faults_->Add(reader.PathOf("values"),
                   "all values " + needs + " (got " + FormatValue(smallest) + ")");
    }
  } else if (spec->min <= 0) {
    const std::string min = spec->type == ParameterType::kInteger
                                ? FormatValue(static_cast<int64_t>(spec->min))
                                : FormatValue(spec->min);
    faults_->Add(reader.PathOf("min"), needs + " (got " + min + ")");
  }
}

const ParameterSpec* ParametersParser::ResolveParent(const std::string& parent,
                                                     const std::string& path, size_t index,
                                                     bool* parent_ok) {
  *parent_ok = false;
  if (auto it = defined_.find(parent); it != defined_.end()) {
    const std::optional<ParameterSpec>& spec = parsed_[it->second];
    if (!spec) return nullptr;  // its own faults are reported; do not pile on
    if (spec->type == ParameterType::kDouble) {
      faults_->Add(path, "parent " + Quote(parent) +
                             " is a double parameter; a parent must be discrete, categorical or "
                             "integer");
      return nullptr;
    }
    *parent_ok = true;
    return &*spec;
  }
  if (auto it = declared_.find(parent); it != declared_.end() && it->second >= index) {
    faults_->Add(path, "parent " + Quote(parent) +
                           " must be defined before this parameter (it is " +
                           IndexPath(path_, it->second) + ")");
    return nullptr;
  }
  if (declared_.contains(parent)) return nullptr;  // declared earlier but its name had faults
  std::string message = "no parameter named " + Quote(parent);
  std::vector<std::string> names;
  for (const auto& [name, i] : defined_) names.push_back(name);
  if (std::optional<std::string> hint = ClosestMatch(parent, names)) {
    message += " (did you mean " + Quote(*hint) + "?)";
  }
  faults_->Add(path, message);
  return nullptr;
}

std::optional<Condition> ParametersParser::ParseCondition(const Json& when, const std::string& path,
                                                          size_t index,
                                                          const std::string& raw_name) {
  if (!when.is_object()) {
    faults_->Add(path, "expected an object {\"<parent>\": [values...]}, got " + TypeName(when));
    return std::nullopt;
  }
  if (when.size() != 1) {
    faults_->Add(path, "must have exactly one key, the parent's name (got " +
                           std::to_string(when.size()) + ")");
    return std::nullopt;
  }
  const std::string& parent = when.begin().key();
  const Json& values = when.begin().value();
  const std::string parent_path = KeyPath(path, parent);
  const size_t faults_before = faults_->size();
  bool parent_ok = false;
  const ParameterSpec* parent_spec = nullptr;
  if (!raw_name.empty() && parent == raw_name) {
    faults_->Add(parent_path, "a parameter cannot be its own parent");
  } else {
    parent_spec = ResolveParent(parent, parent_path, index, &parent_ok);
  }
  if (!values.is_array()) {
    faults_->Add(parent_path,
                 "expected a non-empty array of " + parent + "'s values, got " + TypeName(values));
    return std::nullopt;
  }
  if (values.empty()) {
    faults_->Add(parent_path, "must list at least one of " + parent + "'s values");
    return std::nullopt;
  }
  if (!parent_ok) return std::nullopt;
  Condition condition{parent, {}};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string element_path = IndexPath(parent_path, i);
    std::optional<ParameterValue> v = ParseConditionValue(values[i], element_path, *parent_spec);
    if (!v) continue;
    bool duplicate = false;
    for (const ParameterValue& seen : condition.values)
      duplicate = duplicate || SameValue(seen, *v);
    if (duplicate) {
      const std::string* s = std::get_if<std::string>(&*v);
      faults_->Add(element_path, "duplicate value " + (s ? Quote(*s) : FormatValue(*v)));
      continue;
    }
    condition.values.push_back(std::move(*v));
  }
  if (faults_->size() != faults_before) return std::nullopt;
  return condition;
}

std::optional<ParameterValue> ParametersParser::ParseConditionValue(const Json& value,
                                                                    const std::string& path,
                                                                    const ParameterSpec& parent) {
  switch (parent.type) {
    case ParameterType::kInteger: {
      std::optional<int64_t> v = ReadInteger(value, path, std::numeric_limits<int64_t>::min(),
                                             std::numeric_limits<int64_t>::max(), faults_);
      if (!v) return std::nullopt;
      if (static_cast<double>(*v) < parent.min || static_cast<double>(*v) > parent.max) {
        faults_->Add(path, FormatValue(*v) + " is not a value of " + parent.name +
                               " (an integer from " +
                               FormatValue(static_cast<int64_t>(parent.min)) + " to " +
                               FormatValue(static_cast<int64_t>(parent.max)) + ")");
        return std::nullopt;
      }
      return ParameterValue(*v);
    }
    case ParameterType::kDiscrete:
    case ParameterType::kCategorical: {
      std::optional<ParameterValue> v;
      if (parent.type == ParameterType::kDiscrete) {
        if (std::optional<double> d = ReadNumber(value, path, faults_)) v = *d;
      } else {
        if (std::optional<std::string> s = ReadString(value, path, faults_)) v = *s;
      }
      if (!v) return std::nullopt;
      for (const ParameterValue& allowed : parent.values) {
        if (SameValue(allowed, *v)) return allowed;  // typed as the parent's values
      }
      faults_->Add(path, Describe(value) + " is not one of " + parent.name + "'s values (" +
                             JoinValues(parent.values) + ")");
      return std::nullopt;
    }
    case ParameterType::kDouble: {  // a `default`: ResolveParent rejects double parents
      std::optional<double> d = ReadNumber(value, path, faults_);
      if (!d) return std::nullopt;
      if (*d < parent.min || *d > parent.max) {
        faults_->Add(path, FormatValue(*d) + " is not a value of " + parent.name + " (from " +
                               FormatValue(parent.min) + " to " + FormatValue(parent.max) + ")");
        return std::nullopt;
      }
      return ParameterValue(*d);
    }
  }
  return std::nullopt;
}

}  // namespace

void ParseParameters(const Json& value, const std::string& path, FaultList* faults,
                     SearchSpace* space) {
  ParametersParser(value, path, faults).Run(space);
}

}  // namespace tuner
