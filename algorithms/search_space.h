// The search space of a study: typed parameters, their scales and their
// conditions. Pure value types; no I/O.
//
// A parameter is active in an assignment when it has no condition, or when its
// parent is active and the parent's value is one of the condition's values.
// Assignments hold exactly the active parameters.
#ifndef TUNER_ALGORITHMS_SEARCH_SPACE_H_
#define TUNER_ALGORITHMS_SEARCH_SPACE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace tuner {

// A parameter's value: double for `double` and fractional `discrete`, int64
// for `integer` and whole-number `discrete`, string for `categorical`.
using ParameterValue = std::variant<double, int64_t, std::string>;

// Parameter name -> value, ordered by name so that iteration is deterministic.
using Assignment = std::map<std::string, ParameterValue>;

enum class ParameterType { kDouble, kInteger, kDiscrete, kCategorical };
enum class Scale { kLinear, kLog, kReverseLog };

// `when`: the parameter is present only when `parent` takes one of `values`.
struct Condition {
  std::string parent;
  std::vector<ParameterValue> values;
};

struct ParameterSpec {
  std::string name;
  ParameterType type = ParameterType::kDouble;
  double min = 0.0;                    // kDouble, kInteger
  double max = 0.0;                    // kDouble, kInteger
  std::vector<ParameterValue> values;  // kDiscrete (sorted ascending), kCategorical
  Scale scale = Scale::kLinear;        // kDouble, kInteger, kDiscrete
  std::optional<Condition> when;
  // `default`: the value trials from before the parameter was added to the
  // study are taken to have had (docs/lifecycle.md, editing a study). Inside
  // the parameter's domain; unset = none.
  std::optional<ParameterValue> default_value;
  // `role`: "model" (default) or "preprocessing" (docs/artifacts.md): what
  // `tuner export` marks the parameter as. No effect on the search.
  bool preprocessing = false;

  // Number of distinct values; 0 for kDouble (continuous).
  int64_t Cardinality() const;
};

struct SearchSpace {
  // Parents come before their children (the parser checks this).
  std::vector<ParameterSpec> parameters;

  const ParameterSpec* Find(const std::string& name) const;

  // Whether `spec` is active given the values chosen so far.
  bool IsActive(const ParameterSpec& spec, const Assignment& assignment) const;

  // OK when `assignment` holds exactly the active parameters, each of the
  // right type and inside its range or value set. InvalidArgument otherwise,
  // with a message that names the parameter, e.g.
  // "parameters.layers: 7 is outside [1, 3]".
  absl::Status Validate(const Assignment& assignment) const;
};

// Maps a value of `spec` to [0, 1] through its scale (log scales in log
// space). Integers own equal cells of [min - 0.5, max + 0.5] in the scaled
// space; numeric discrete values on a linear scale sit at their position
// between the first and last value; other discrete and categorical values go
// by index, centred in their cell.
double ToUnit(const ParameterSpec& spec, const ParameterValue& value);
// Inverse of ToUnit; rounds integers and picks the nearest discrete or
// categorical value. `u` is clamped to [0, 1].
ParameterValue FromUnit(const ParameterSpec& spec, double u);
// Decodes a point of the unit cube, one coordinate per parameter in the order
// of `space.parameters`, parents first: each active parameter gets
// FromUnit(spec, point[i]); an inactive one is left out and its coordinate is
// ignored. Missing coordinates read as 0.5.
Assignment FromUnitPoint(const SearchSpace& space, const std::vector<double>& point);

const char* ToString(ParameterType type);
const char* ToString(Scale scale);
// Shortest text that reads back as the same value: 0.001, 32, adam.
std::string FormatValue(const ParameterValue& value);
bool SameValue(const ParameterValue& a, const ParameterValue& b);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_SEARCH_SPACE_H_
