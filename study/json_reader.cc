#include "study/json_reader.h"

#include <algorithm>
#include <cmath>

#include "study/edit_distance.h"
#include "study/json_path.h"

namespace tuner {
namespace {

constexpr size_t kMaxQuotedLength = 40;
// 2^63 and 2^64 as doubles: the first values outside int64 and uint64.
constexpr double kTwoTo63 = 9223372036854775808.0;
constexpr double kTwoTo64 = 18446744073709551616.0;

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string AtLeast(int64_t lo, const Json& got) {
  return "must be at least " + std::to_string(lo) + " (got " + Describe(got) + ")";
}

std::string AtMost(int64_t hi, const Json& got) {
  return "must be at most " + std::to_string(hi) + " (got " + Describe(got) + ")";
}

}  // namespace

std::string TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    default:
      return "unknown";
  }
}

std::string Quote(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Describe(const Json& value) {
  if (value.is_number()) return value.dump();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.size() <= kMaxQuotedLength) return Quote(s);
    return Quote(s.substr(0, kMaxQuotedLength)) + "...";
  }
  return TypeName(value);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

std::optional<std::string> ReadString(const Json& value, const std::string& path,
                                      FaultList* faults) {
  if (!value.is_string()) {
    faults->Add(path, "expected a string, got " + TypeName(value));
    return std::nullopt;
  }
  return value.get<std::string>();
}

std::optional<int64_t> ReadInteger(const Json& value, const std::string& path, int64_t lo,
                                   int64_t hi, FaultList* faults) {
  if (!value.is_number()) {
    faults->Add(path, "expected an integer, got " + TypeName(value));
    return std::nullopt;
  }
  int64_t v = 0;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (hi < 0 || u > static_cast<uint64_t>(hi)) {
      faults->Add(path, AtMost(hi, value));
      return std::nullopt;
    }
    v = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    v = value.get<int64_t>();
  } else {
    const double d = value.get<double>();
    if (!std::isfinite(d) || d != std::floor(d)) {
      faults->Add(path, "expected an integer, got " + Describe(value));
      return std::nullopt;
    }
    if (d < -kTwoTo63) {
      faults->Add(path, AtLeast(lo, value));
      return std::nullopt;
    }
    if (d >= kTwoTo63) {
      faults->Add(path, AtMost(hi, value));
      return std::nullopt;
    }
    v = static_cast<int64_t>(d);
  }
  if (v < lo) {
    faults->Add(path, AtLeast(lo, value));
    return std::nullopt;
  }
  if (v > hi) {
    faults->Add(path, AtMost(hi, value));
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> ReadUnsigned(const Json& value, const std::string& path,
                                     FaultList* faults) {
  if (!value.is_number()) {
    faults->Add(path, "expected an integer, got " + TypeName(value));
    return std::nullopt;
  }
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v < 0) {
      faults->Add(path, AtLeast(0, value));
      return std::nullopt;
    }
    return static_cast<uint64_t>(v);
  }
  const double d = value.get<double>();
  if (!std::isfinite(d) || d != std::floor(d)) {
    faults->Add(path, "expected an integer, got " + Describe(value));
    return std::nullopt;
  }
  if (d < 0) {
    faults->Add(path, AtLeast(0, value));
    return std::nullopt;
  }
  if (d >= kTwoTo64) {
    faults->Add(path, "must be at most 18446744073709551615 (got " + Describe(value) + ")");
    return std::nullopt;
  }
  return static_cast<uint64_t>(d);
}

std::optional<double> ReadNumber(const Json& value, const std::string& path, FaultList* faults) {
  if (!value.is_number()) {
    faults->Add(path, "expected a number, got " + TypeName(value));
    return std::nullopt;
  }
  const double d = value.get<double>();
  if (!std::isfinite(d)) {
    faults->Add(path, "must be a finite number");
    return std::nullopt;
  }
  return d;
}

std::optional<std::string> ReadChoice(const Json& value, const std::string& path,
                                      const NamedChoices& choices, FaultList* faults) {
  std::optional<std::string> name = ReadString(value, path, faults);
  if (!name) return std::nullopt;
  if (Contains(choices.available, *name)) return name;
  std::string message =
      "must be one of " + JoinNames(choices.available) + " (got " + Describe(value);
  if (std::optional<std::string> hint = ClosestMatch(*name, choices.available)) {
    message += "; did you mean " + Quote(*hint) + "?";
  }
  faults->Add(path, message + ")");
  return std::nullopt;
}

ObjectReader::ObjectReader(const Json& object, std::string path,
                           std::vector<std::string> known_keys, FaultList* faults)
    : object_(object), path_(std::move(path)), faults_(faults) {
  if (!object_.is_object()) return;
  for (const auto& [key, value] : object_.items()) {
    if (Contains(known_keys, key)) continue;
    std::string message = "unknown key";
    if (std::optional<std::string> hint = ClosestMatch(key, known_keys)) {
      message += " (did you mean " + Quote(*hint) + "?)";
    } else {
      message += " (known keys: " + JoinNames(known_keys) + ")";
    }
    faults_->Add(PathOf(key), message);
  }
}

std::string ObjectReader::PathOf(std::string_view key) const { return KeyPath(path_, key); }

const Json* ObjectReader::Find(std::string_view key) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(std::string(key));
  return it == object_.end() ? nullptr : &*it;
}

const Json* ObjectReader::Require(std::string_view key, std::string_view hint) {
  const Json* value = Find(key);
  if (value == nullptr) {
    std::string message = "required";
    if (!hint.empty()) message += " (" + std::string(hint) + ")";
    faults_->Add(PathOf(key), message);
  }
  return value;
}

bool ObjectReader::String(std::string_view key, std::string* out) {
  const Json* value = Find(key);
  if (value == nullptr) return false;
  std::optional<std::string> s = ReadString(*value, PathOf(key), faults_);
  if (s) *out = std::move(*s);
  return s.has_value();
}

bool ObjectReader::Integer(std::string_view key, int64_t lo, int64_t hi, int64_t* out) {
  const Json* value = Find(key);
  if (value == nullptr) return false;
  std::optional<int64_t> v = ReadInteger(*value, PathOf(key), lo, hi, faults_);
  if (v) *out = *v;
  return v.has_value();
}

bool ObjectReader::Integer(std::string_view key, int lo, int hi, int* out) {
  int64_t v = 0;
  if (!Integer(key, int64_t{lo}, int64_t{hi}, &v)) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ObjectReader::Unsigned(std::string_view key, uint64_t* out) {
  const Json* value = Find(key);
  if (value == nullptr) return false;
  std::optional<uint64_t> v = ReadUnsigned(*value, PathOf(key), faults_);
  if (v) *out = *v;
  return v.has_value();
}

bool ObjectReader::Choice(std::string_view key, const NamedChoices& choices, std::string* out) {
  const Json* value = Find(key);
  if (value == nullptr) return false;
  std::optional<std::string> v = ReadChoice(*value, PathOf(key), choices, faults_);
  if (v) *out = std::move(*v);
  return v.has_value();
}

const Json* ObjectReader::Object(std::string_view key) {
  const Json* value = Find(key);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    faults_->Add(PathOf(key), "expected an object, got " + TypeName(*value));
    return nullptr;
  }
  return value;
}

}  // namespace tuner
