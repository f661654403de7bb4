#include "algorithms/search_space.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace tuner {
namespace {

// A log scale needs lo > 0 (the parser checks this); a space that breaks the
// rule degrades to linear rather than producing NaN.
Scale EffectiveScale(Scale scale, double lo) { return lo > 0.0 ? scale : Scale::kLinear; }

// Log-space position of x in [lo, hi] for kLog; mirrored for kReverseLog
// (resolution concentrated near hi, as Vizier's REVERSE_LOG).
double Warp(Scale scale, double lo, double hi, double x) {
  if (hi <= lo) return 0.5;
  switch (EffectiveScale(scale, lo)) {
    case Scale::kLinear:
      return (x - lo) / (hi - lo);
    case Scale::kLog:
      return (std::log(x) - std::log(lo)) / (std::log(hi) - std::log(lo));
    case Scale::kReverseLog:
      return 1.0 - (std::log(hi + lo - x) - std::log(lo)) / (std::log(hi) - std::log(lo));
  }
  return 0.0;
}

double Unwarp(Scale scale, double lo, double hi, double u) {
  if (hi <= lo || u <= 0.0) return lo;  // the ends exactly, whatever exp/log round to
  if (u >= 1.0) return hi;
  switch (EffectiveScale(scale, lo)) {
    case Scale::kLinear:
      return lo + u * (hi - lo);
    case Scale::kLog:
      return std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
    case Scale::kReverseLog:
      return hi + lo - std::exp(std::log(lo) + (1.0 - u) * (std::log(hi) - std::log(lo)));
  }
  return lo;
}

double NumericValue(const ParameterValue& v) {
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::numeric_limits<double>::quiet_NaN();
}

// Index of `value` in `values`, or -1.
int64_t IndexOf(const std::vector<ParameterValue>& values, const ParameterValue& value) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (SameValue(values[i], value)) return static_cast<int64_t>(i);
  }
  return -1;
}

// Whether every value is a number (discrete values may also be strings).
bool AllNumeric(const std::vector<ParameterValue>& values) {
  for (const ParameterValue& v : values) {
    if (std::holds_alternative<std::string>(v)) return false;
  }
  return true;
}

// Integers own equal cells of the warped interval [min - 0.5, max + 0.5]; for
// log scales that needs min - 0.5 > 0, else the cells are taken in [min, max].
void IntegerCells(const ParameterSpec& spec, double* lo, double* hi) {
  *lo = spec.min - 0.5;
  *hi = spec.max + 0.5;
  if (spec.scale != Scale::kLinear && *lo <= 0.0) {
    *lo = spec.min;
    *hi = spec.max;
  }
}

std::string Join(const std::vector<ParameterValue>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += FormatValue(values[i]);
  }
  return out;
}

}  // namespace

int64_t ParameterSpec::Cardinality() const {
  switch (type) {
    case ParameterType::kDouble:
      return 0;
    case ParameterType::kInteger:
      return static_cast<int64_t>(max) - static_cast<int64_t>(min) + 1;
    case ParameterType::kDiscrete:
    case ParameterType::kCategorical:
      return static_cast<int64_t>(values.size());
  }
  return 0;
}

const ParameterSpec* SearchSpace::Find(const std::string& name) const {
  for (const ParameterSpec& p : parameters) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool SearchSpace::IsActive(const ParameterSpec& spec, const Assignment& assignment) const {
  if (!spec.when) return true;
  auto it = assignment.find(spec.when->parent);
  if (it == assignment.end()) return false;  // parent inactive or not chosen yet
  return IndexOf(spec.when->values, it->second) >= 0;
}

absl::Status SearchSpace::Validate(const Assignment& assignment) const {
  for (const auto& [name, value] : assignment) {
    if (Find(name) == nullptr) {
      return absl::InvalidArgumentError("parameters." + name + ": not in the search space");
    }
  }
  for (const ParameterSpec& p : parameters) {
    const std::string path = "parameters." + p.name;
    auto it = assignment.find(p.name);
    const bool active = IsActive(p, assignment);
    if (!active) {
      if (it != assignment.end()) {
        return absl::InvalidArgumentError(path + ": must be absent unless " + p.when->parent +
                                          " is one of [" + Join(p.when->values) + "]");
      }
      continue;
    }
    if (it == assignment.end()) return absl::InvalidArgumentError(path + ": missing");
    const ParameterValue& v = it->second;
    switch (p.type) {
      case ParameterType::kDouble: {
        const double* d = std::get_if<double>(&v);
        if (d == nullptr) return absl::InvalidArgumentError(path + ": expected a number");
        if (!std::isfinite(*d)) return absl::InvalidArgumentError(path + ": must be finite");
        if (*d < p.min || *d > p.max) {
          return absl::InvalidArgumentError(path + ": " + FormatValue(v) + " is outside [" +
                                            FormatValue(p.min) + ", " + FormatValue(p.max) + "]");
        }
        break;
      }
      case ParameterType::kInteger: {
        const int64_t* i = std::get_if<int64_t>(&v);
        if (i == nullptr) return absl::InvalidArgumentError(path + ": expected an integer");
        if (*i < p.min || *i > p.max) {
          return absl::InvalidArgumentError(path + ": " + FormatValue(v) + " is outside [" +
                                            FormatValue(static_cast<int64_t>(p.min)) + ", " +
                                            FormatValue(static_cast<int64_t>(p.max)) + "]");
        }
        break;
      }
      case ParameterType::kDiscrete:
      case ParameterType::kCategorical:
        if (IndexOf(p.values, v) < 0) {
          return absl::InvalidArgumentError(path + ": " + FormatValue(v) + " is not one of [" +
                                            Join(p.values) + "]");
        }
        break;
    }
  }
  return absl::OkStatus();
}

double ToUnit(const ParameterSpec& spec, const ParameterValue& value) {
  switch (spec.type) {
    case ParameterType::kDouble:
      return std::clamp(Warp(spec.scale, spec.min, spec.max, NumericValue(value)), 0.0, 1.0);
    case ParameterType::kInteger: {
      // Each integer owns an equal cell of the (warped) interval [min-0.5, max+0.5].
      double lo, hi;
      IntegerCells(spec, &lo, &hi);
      return std::clamp(Warp(spec.scale, lo, hi, NumericValue(value)), 0.0, 1.0);
    }
    case ParameterType::kDiscrete: {
      if (spec.scale != Scale::kLinear || spec.values.size() < 2 || !AllNumeric(spec.values)) {
        const int64_t i = IndexOf(spec.values, value);
        return (static_cast<double>(std::max<int64_t>(i, 0)) + 0.5) /
               static_cast<double>(spec.values.size());
      }
      const double lo = NumericValue(spec.values.front()), hi = NumericValue(spec.values.back());
      return std::clamp(Warp(Scale::kLinear, lo, hi, NumericValue(value)), 0.0, 1.0);
    }
    case ParameterType::kCategorical: {
      const int64_t i = IndexOf(spec.values, value);
      return (static_cast<double>(std::max<int64_t>(i, 0)) + 0.5) /
             static_cast<double>(spec.values.size());
    }
  }
  return 0.0;
}

ParameterValue FromUnit(const ParameterSpec& spec, double u) {
  if (!(u >= 0.0)) u = 0.0;  // also maps NaN to 0
  u = std::min(u, 1.0);
  switch (spec.type) {
    case ParameterType::kDouble:
      return std::clamp(Unwarp(spec.scale, spec.min, spec.max, u), spec.min, spec.max);
    case ParameterType::kInteger: {
      double lo, hi;
      IntegerCells(spec, &lo, &hi);
      const double x = Unwarp(spec.scale, lo, hi, u);
      return static_cast<int64_t>(std::clamp(std::round(x), spec.min, spec.max));
    }
    case ParameterType::kDiscrete: {
      if (spec.scale == Scale::kLinear && spec.values.size() >= 2 && AllNumeric(spec.values)) {
        const double x = Unwarp(Scale::kLinear, NumericValue(spec.values.front()),
                                NumericValue(spec.values.back()), u);
        size_t best = 0;
        for (size_t i = 1; i < spec.values.size(); ++i) {
          if (std::abs(NumericValue(spec.values[i]) - x) <
              std::abs(NumericValue(spec.values[best]) - x)) {
            best = i;
          }
        }
        return spec.values[best];
      }
      [[fallthrough]];
    }
    case ParameterType::kCategorical: {
      const size_t n = spec.values.size();
      if (n == 0) return std::string();  // an invalid space; Validate rejects it
      const size_t i = std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)));
      return spec.values[i];
    }
  }
  return 0.0;
}

Assignment FromUnitPoint(const SearchSpace& space, const std::vector<double>& point) {
  Assignment assignment;
  for (size_t i = 0; i < space.parameters.size(); ++i) {
    const ParameterSpec& spec = space.parameters[i];
    if (!space.IsActive(spec, assignment)) continue;
    assignment.emplace(spec.name, FromUnit(spec, i < point.size() ? point[i] : 0.5));
  }
  return assignment;
}

const char* ToString(ParameterType type) {
  switch (type) {
    case ParameterType::kDouble:
      return "double";
    case ParameterType::kInteger:
      return "integer";
    case ParameterType::kDiscrete:
      return "discrete";
    case ParameterType::kCategorical:
      return "categorical";
  }
  return "?";
}

const char* ToString(Scale scale) {
  switch (scale) {
    case Scale::kLinear:
      return "linear";
    case Scale::kLog:
      return "log";
    case Scale::kReverseLog:
      return "reverse_log";
  }
  return "?";
}

std::string FormatValue(const ParameterValue& value) {
  if (const std::string* s = std::get_if<std::string>(&value)) return *s;
  if (const int64_t* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  const double d = std::get<double>(value);
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  (void)ec;
  return std::string(buf, end);
}

bool SameValue(const ParameterValue& a, const ParameterValue& b) {
  if (a.index() == 2 || b.index() == 2) return a == b;
  return NumericValue(a) == NumericValue(b);
}

}  // namespace tuner
