#include "algorithms/grid_designer.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace tuner {
namespace {

// Appends `value` so that two values have equal text exactly when SameValue
// holds: numbers (double or integer) are compared as doubles.
void AppendCanonical(const ParameterValue& value, std::string* key) {
  if (const std::string* s = std::get_if<std::string>(&value)) {
    key->append("s");
    key->append(std::to_string(s->size()));
    key->push_back(':');
    key->append(*s);
    return;
  }
  double d = std::holds_alternative<int64_t>(value) ? static_cast<double>(std::get<int64_t>(value))
                                                    : std::get<double>(value);
  if (d == 0.0) d = 0.0;  // -0 and +0 are the same value
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  (void)ec;
  key->push_back('n');
  key->append(buf, end);
  key->push_back(';');
}

// Text identifying an assignment: equal for two assignments with the same
// names whose values are pairwise SameValue.
std::string AssignmentKey(const Assignment& assignment) {
  std::string key;
  for (const auto& [name, value] : assignment) {
    key.append(std::to_string(name.size()));
    key.push_back(':');
    key.append(name);
    AppendCanonical(value, &key);
  }
  return key;
}

void AppendUnique(const ParameterValue& value, std::vector<ParameterValue>* values) {
  for (const ParameterValue& v : *values) {
    if (SameValue(v, value)) return;
  }
  values->push_back(value);
}

std::vector<ParameterValue> EvenlySpaced(const ParameterSpec& spec, int n) {
  std::vector<ParameterValue> values;
  if (n <= 1) {
    values.push_back(FromUnit(spec, 0.5));
    return values;
  }
  for (int i = 0; i < n; ++i) {
    AppendUnique(FromUnit(spec, static_cast<double>(i) / (n - 1)), &values);
  }
  return values;
}

std::vector<ParameterValue> GridValuesOf(const ParameterSpec& spec,
                                         const GridDesignerOptions& options) {
  std::vector<ParameterValue> values;
  switch (spec.type) {
    case ParameterType::kDouble:
      return EvenlySpaced(spec, options.points_per_double);
    case ParameterType::kInteger: {
      const int64_t cardinality = spec.Cardinality();
      if (cardinality > options.max_integer_values) {
        return EvenlySpaced(spec, options.points_per_double);
      }
      const int64_t min = static_cast<int64_t>(spec.min);
      values.resize(static_cast<size_t>(std::max<int64_t>(cardinality, 0)));
      for (size_t i = 0; i < values.size(); ++i) {
        values[i].emplace<int64_t>(min + static_cast<int64_t>(i));
      }
      return values;
    }
    case ParameterType::kDiscrete:
    case ParameterType::kCategorical:
      for (const ParameterValue& v : spec.values) AppendUnique(v, &values);
      return values;
  }
  return values;
}

}  // namespace

GridDesigner::GridDesigner(SearchSpace space, GridDesignerOptions options)
    : space_(std::move(space)) {
  for (const ParameterSpec& spec : space_.parameters) {
    values_.push_back(GridValuesOf(spec, options));
  }
  settled_ = Begin();
  next_ = settled_;
}

GridDesigner::Cursor GridDesigner::Begin() const {
  Cursor cursor;
  cursor.digits.assign(space_.parameters.size(), -1);
  // A parameter without values (an invalid space) leaves no combination.
  cursor.done = std::any_of(values_.begin(), values_.end(),
                            [](const std::vector<ParameterValue>& v) { return v.empty(); });
  if (!cursor.done) ResetFrom(0, &cursor);
  return cursor;
}

void GridDesigner::ResetFrom(size_t first, Cursor* cursor) const {
  for (size_t j = first; j < space_.parameters.size(); ++j) {
    cursor->point.erase(space_.parameters[j].name);
  }
  for (size_t j = first; j < space_.parameters.size(); ++j) {
    const ParameterSpec& spec = space_.parameters[j];
    if (space_.IsActive(spec, cursor->point)) {
      cursor->digits[j] = 0;
      cursor->point[spec.name] = values_[j][0];
    } else {
      cursor->digits[j] = -1;
    }
  }
}

void GridDesigner::Advance(Cursor* cursor) const {
  for (size_t j = space_.parameters.size(); j-- > 0;) {
    int64_t& digit = cursor->digits[j];
    if (digit < 0 || digit + 1 >= static_cast<int64_t>(values_[j].size())) continue;
    ++digit;
    cursor->point[space_.parameters[j].name] = values_[j][static_cast<size_t>(digit)];
    ResetFrom(j + 1, cursor);
    return;
  }
  cursor->done = true;
}

void GridDesigner::Update(const std::vector<const Trial*>& finished,
                          const std::vector<const Trial*>& active) {
  std::unordered_set<std::string> history;
  history.reserve(finished.size() + active.size());
  for (const auto* trials : {&finished, &active}) {
    for (const Trial* trial : *trials) history.insert(AssignmentKey(trial->parameters));
  }
  // settled_ stays valid while the history only grows (the usual case);
  // otherwise start over so that the result matches a rebuilt designer.
  const bool grew = std::all_of(history_.begin(), history_.end(),
                                [&](const std::string& key) { return history.contains(key); });
  history_ = std::move(history);
  if (!grew) settled_ = Begin();
  while (!settled_.done && history_.contains(AssignmentKey(settled_.point))) Advance(&settled_);
  next_ = settled_;
}

std::vector<Assignment> GridDesigner::Suggest(int count) {
  std::vector<Assignment> out;
  while (static_cast<int>(out.size()) < count && !next_.done) {
    if (!history_.contains(AssignmentKey(next_.point))) out.push_back(next_.point);
    Advance(&next_);
  }
  origins_.assign(out.size(), "grid");
  return out;
}

}  // namespace tuner
