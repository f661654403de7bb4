#include "tuner/service/dashboard_analysis.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <random>
#include <variant>

namespace tuner {

const char kImportanceMethod[] =
    "variance-based main effect: the share of the objective's variance explained by each "
    "parameter alone (trials grouped by value, continuous parameters in equal-count bins; "
    "epsilon-squared, corrected for the number of groups; interactions not counted)";

namespace {

std::optional<double> FinalMetric(const Trial& t, const std::string& metric) {
  if (!t.final_measurement) return std::nullopt;
  auto it = t.final_measurement->metrics.find(metric);
  if (it == t.final_measurement->metrics.end()) return std::nullopt;
  return it->second;
}

// The group of each trial for one parameter: -1 for inactive (later mapped
// to a group of its own), else a group index.
std::vector<int> GroupsOf(const ParameterSpec& spec, const std::vector<const Trial*>& trials) {
  std::vector<int> group(trials.size(), -1);
  const bool continuous = spec.type == ParameterType::kDouble ||
                          (spec.type == ParameterType::kInteger && spec.max - spec.min + 1 > 10);
  if (!continuous) {
    std::map<std::string, int> index;
    for (size_t i = 0; i < trials.size(); ++i) {
      auto it = trials[i]->parameters.find(spec.name);
      if (it == trials[i]->parameters.end()) continue;
      auto [pos, inserted] = index.emplace(FormatValue(it->second), static_cast<int>(index.size()));
      group[i] = pos->second;
    }
    return group;
  }
  // Equal-count bins on the parameter's scale; equal values share a bin.
  std::vector<std::pair<double, size_t>> active;
  for (size_t i = 0; i < trials.size(); ++i) {
    auto it = trials[i]->parameters.find(spec.name);
    if (it == trials[i]->parameters.end()) continue;
    active.emplace_back(ToUnit(spec, it->second), i);
  }
  if (active.empty()) return group;
  std::sort(active.begin(), active.end());
  const size_t m = active.size();
  const size_t bins = std::clamp<size_t>(
      static_cast<size_t>(std::lround(std::sqrt(static_cast<double>(m)))), 2, 10);
  size_t first_rank = 0;
  for (size_t r = 0; r < m; ++r) {
    if (r == 0 || active[r].first != active[r - 1].first) first_rank = r;
    group[active[r].second] = static_cast<int>(first_rank * bins / m);
  }
  return group;
}

// GroupsOf remapped to 0..k-1 (inactive trials, -1, become a group of their
// own); returns k.
int DenseGroups(std::vector<int>& group) {
  std::map<int, int> index;
  for (int& g : group) g = index.emplace(g, static_cast<int>(index.size())).first->second;
  return static_cast<int>(index.size());
}

// epsilon^2 of a grouping (ParameterImportances), each trial counted
// weight[i] times; clamped to [0, 1].
double EpsilonSquared(const std::vector<int>& group, int k, const std::vector<double>& y,
                      const std::vector<int>& weight) {
  std::vector<double> sum(static_cast<size_t>(k), 0.0);
  std::vector<double> count(static_cast<size_t>(k), 0.0);
  double n = 0, total = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    sum[static_cast<size_t>(group[i])] += weight[i] * y[i];
    count[static_cast<size_t>(group[i])] += weight[i];
    n += weight[i];
    total += weight[i] * y[i];
  }
  const double mean = total / n;
  double ss_total = 0;
  for (size_t i = 0; i < y.size(); ++i) ss_total += weight[i] * (y[i] - mean) * (y[i] - mean);
  double ss_between = 0;
  double groups = 0;
  for (size_t g = 0; g < sum.size(); ++g) {
    if (count[g] == 0) continue;
    groups += 1;
    const double gm = sum[g] / count[g];
    ss_between += count[g] * (gm - mean) * (gm - mean);
  }
  if (groups < 2 || !(ss_total > 1e-300)) return 0.0;
  const double ss_within = std::max(0.0, ss_total - ss_between);
  const double ms_within = n > groups ? ss_within / (n - groups) : 0.0;
  const double eps2 = (ss_between - (groups - 1) * ms_within) / (ss_total + ms_within);
  return std::clamp(eps2, 0.0, 1.0);
}

// Each parameter's variance_explained normalised to sum to 1 (all 0 when the
// sum is 0).
std::vector<double> Shares(const std::vector<double>& explained) {
  double sum = 0;
  for (double e : explained) sum += e;
  std::vector<double> out(explained.size(), 0.0);
  if (sum > 0) {
    for (size_t j = 0; j < out.size(); ++j) out[j] = explained[j] / sum;
  }
  return out;
}

// The q-quantile (0..1) of `v` by linear interpolation; sorts v.
double Quantile(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

std::vector<ParameterImportance> ParameterImportances(const SearchSpace& space,
                                                      const std::vector<const Trial*>& trials,
                                                      const std::string& metric) {
  std::vector<const Trial*> used;
  std::vector<double> y;
  for (const Trial* t : trials) {
    if (t->state != TrialState::kCompleted) continue;  // stopped ones ended early
    if (auto v = FinalMetric(*t, metric); v && std::isfinite(*v)) {
      used.push_back(t);
      y.push_back(*v);
    }
  }
  std::vector<ParameterImportance> out;
  for (const ParameterSpec& p : space.parameters) {
    out.emplace_back();
    out.back().parameter = p.name;
  }
  const size_t n = y.size();
  if (n < 3) return out;
  const size_t p = space.parameters.size();
  std::vector<std::vector<int>> groups(p);
  std::vector<int> k(p);
  std::vector<double> explained(p);
  const std::vector<int> ones(n, 1);
  for (size_t j = 0; j < p; ++j) {
    groups[j] = GroupsOf(space.parameters[j], used);
    k[j] = DenseGroups(groups[j]);
    out[j].groups = k[j];
    explained[j] = EpsilonSquared(groups[j], k[j], y, ones);
    out[j].variance_explained = explained[j];
  }
  const std::vector<double> shares = Shares(explained);
  for (size_t j = 0; j < p; ++j) out[j].importance = shares[j];

  // The bootstrap: resample the trials with replacement (the groups as
  // formed on all of them) and recompute every share.
  std::mt19937_64 rng(kImportanceBootstrapSeed);
  std::vector<std::vector<double>> samples(p, std::vector<double>(kImportanceResamples));
  std::vector<int> weight(n);
  for (int b = 0; b < kImportanceResamples; ++b) {
    std::fill(weight.begin(), weight.end(), 0);
    for (size_t i = 0; i < n; ++i) ++weight[rng() % n];
    for (size_t j = 0; j < p; ++j) explained[j] = EpsilonSquared(groups[j], k[j], y, weight);
    const std::vector<double> s = Shares(explained);
    for (size_t j = 0; j < p; ++j) samples[j][static_cast<size_t>(b)] = s[j];
  }
  for (size_t j = 0; j < p; ++j) {
    out[j].importance_low = Quantile(samples[j], 0.1);
    out[j].importance_high = Quantile(samples[j], 0.9);
  }
  return out;
}

// ------------------------------------------------------------- trials table

std::optional<TrialState> ParseTrialState(std::string_view text) {
  static constexpr TrialState kAll[] = {
      TrialState::kActive, TrialState::kStopping,   TrialState::kCompleted, TrialState::kStopped,
      TrialState::kFailed, TrialState::kInfeasible, TrialState::kStale};
  for (TrialState s : kAll) {
    std::string_view name = ToString(s);
    if (name.size() != text.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(text[i])) == name[i];
    }
    if (same) return s;
  }
  return std::nullopt;
}

namespace {

using Value = std::variant<std::monostate, double, std::string>;

struct Field {
  enum class Kind { kId, kState, kOrigin, kSteps, kReason, kDuration, kParam, kMetric };
  Kind kind = Kind::kId;
  std::string name;
};

absl::StatusOr<Field> ResolveField(std::string_view text,
                                   const std::vector<std::string>& parameters,
                                   const std::vector<std::string>& metrics) {
  auto has = [](const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  const std::string s(text);
  if (s.rfind("params.", 0) == 0 && has(parameters, s.substr(7))) {
    return Field{Field::Kind::kParam, s.substr(7)};
  }
  if (s.rfind("metrics.", 0) == 0 && !s.substr(8).empty()) {
    return Field{Field::Kind::kMetric, s.substr(8)};
  }
  if (has(parameters, s)) return Field{Field::Kind::kParam, s};
  if (has(metrics, s)) return Field{Field::Kind::kMetric, s};
  if (s == "id" || s == "trial") return Field{Field::Kind::kId, ""};
  if (s == "state") return Field{Field::Kind::kState, ""};
  if (s == "origin") return Field{Field::Kind::kOrigin, ""};
  if (s == "steps") return Field{Field::Kind::kSteps, ""};
  if (s == "reason") return Field{Field::Kind::kReason, ""};
  if (s == "duration") return Field{Field::Kind::kDuration, ""};
  return absl::InvalidArgumentError("unknown field \"" + s +
                                    "\": expected a parameter, a metric, id, state, origin, "
                                    "steps, reason or duration");
}

Value ValueOf(const Trial& t, const Field& f) {
  switch (f.kind) {
    case Field::Kind::kId:
      return static_cast<double>(t.id);
    case Field::Kind::kState:
      return std::string(ToString(t.state));
    case Field::Kind::kOrigin:
      return t.origin;
    case Field::Kind::kSteps:
      return static_cast<double>(t.measurements.size());
    case Field::Kind::kReason:
      return t.reason;
    case Field::Kind::kDuration:
      if (t.end_time <= 0 || t.create_time <= 0) return std::monostate{};
      return t.end_time - t.create_time;
    case Field::Kind::kParam: {
      auto it = t.parameters.find(f.name);
      if (it == t.parameters.end()) return std::monostate{};
      if (const auto* d = std::get_if<double>(&it->second)) return *d;
      if (const auto* i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
      return std::get<std::string>(it->second);
    }
    case Field::Kind::kMetric: {
      auto v = FinalMetric(t, f.name);
      if (!v) return std::monostate{};
      return *v;
    }
  }
  return std::monostate{};
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string TextOf(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return FormatValue(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

struct Term {
  bool bare = false;
  std::string word;  // bare: lower-cased
  Field field;
  Op op = Op::kEq;
  std::string value;
  std::optional<double> number;
};

absl::StatusOr<std::vector<Term>> ParseFilter(std::string_view text,
                                              const std::vector<std::string>& parameters,
                                              const std::vector<std::string>& metrics) {
  std::vector<Term> terms;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ','))
      ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != ',')
      ++j;
    if (j == i) break;
    std::string_view token = text.substr(i, j - i);
    i = j;
    const size_t at = token.find_first_of("<>!=");
    Term term;
    if (at == std::string_view::npos) {
      term.bare = true;
      term.word = Lower(token);
      terms.push_back(std::move(term));
      continue;
    }
    std::string_view field = token.substr(0, at);
    std::string_view rest = token.substr(at);
    size_t op_len = 1;
    if (rest.rfind("<=", 0) == 0) {
      term.op = Op::kLe, op_len = 2;
    } else if (rest.rfind(">=", 0) == 0) {
      term.op = Op::kGe, op_len = 2;
    } else if (rest.rfind("!=", 0) == 0) {
      term.op = Op::kNe, op_len = 2;
    } else if (rest.rfind("==", 0) == 0) {
      term.op = Op::kEq, op_len = 2;
    } else if (rest[0] == '=') {
      term.op = Op::kEq;
    } else if (rest[0] == '<') {
      term.op = Op::kLt;
    } else if (rest[0] == '>') {
      term.op = Op::kGt;
    } else {
      return absl::InvalidArgumentError("filter term \"" + std::string(token) +
                                        "\": expected FIELD OP VALUE with OP one of = != < <= "
                                        "> >=");
    }
    term.value = std::string(rest.substr(op_len));
    if (field.empty() || term.value.empty()) {
      return absl::InvalidArgumentError("filter term \"" + std::string(token) +
                                        "\": expected FIELD OP VALUE, e.g. learning_rate<0.01");
    }
    auto resolved = ResolveField(field, parameters, metrics);
    if (!resolved.ok()) {
      return absl::InvalidArgumentError("filter term \"" + std::string(token) +
                                        "\": " + std::string(resolved.status().message()));
    }
    term.field = *resolved;
    term.number = ParseNumber(term.value);
    terms.push_back(std::move(term));
  }
  return terms;
}

template <typename T>
bool Compare(const T& a, const T& b, Op op) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
  }
  return false;
}

bool Matches(const Trial& t, const Term& term) {
  if (term.bare) {
    if (Lower(ToString(t.state)).find(term.word) != std::string::npos) return true;
    if (Lower(t.reason).find(term.word) != std::string::npos) return true;
    for (const auto& [name, value] : t.parameters) {
      if (Lower(FormatValue(value)).find(term.word) != std::string::npos) return true;
    }
    return false;
  }
  const Value v = ValueOf(t, term.field);
  if (std::holds_alternative<std::monostate>(v)) return false;
  if (const auto* d = std::get_if<double>(&v); d && term.number) {
    return Compare(*d, *term.number, term.op);
  }
  if (term.op == Op::kEq || term.op == Op::kNe) {
    return Compare(Lower(TextOf(v)), Lower(term.value), term.op);
  }
  return Compare(TextOf(v), term.value, term.op);
}

// Missing values last; numbers before text.
int CompareValues(const Value& a, const Value& b) {
  if (a.index() != b.index()) {
    if (std::holds_alternative<std::monostate>(a)) return 1;
    if (std::holds_alternative<std::monostate>(b)) return -1;
    return a.index() < b.index() ? -1 : 1;
  }
  if (const auto* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    return *x < y ? -1 : (*x > y ? 1 : 0);
  }
  if (const auto* x = std::get_if<std::string>(&a)) return x->compare(std::get<std::string>(b));
  return 0;
}

}  // namespace

absl::StatusOr<TrialPage> QueryTrials(const std::vector<const Trial*>& trials,
                                      const std::vector<std::string>& parameters,
                                      const std::vector<std::string>& metrics,
                                      const TrialQuery& query) {
  if (query.offset < 0) return absl::InvalidArgumentError("offset: must be >= 0");
  if (query.limit < 1 || query.limit > 1000) {
    return absl::InvalidArgumentError("limit: must be in [1, 1000]");
  }
  auto sort_field = ResolveField(query.sort.empty() ? "id" : query.sort, parameters, metrics);
  if (!sort_field.ok()) {
    return absl::InvalidArgumentError("sort: " + std::string(sort_field.status().message()));
  }
  auto terms = ParseFilter(query.filter, parameters, metrics);
  if (!terms.ok())
    return absl::InvalidArgumentError("filter: " + std::string(terms.status().message()));

  TrialPage page;
  page.total = static_cast<int64_t>(trials.size());
  std::vector<std::pair<Value, const Trial*>> rows;
  rows.reserve(trials.size());
  for (const Trial* t : trials) {
    if (!query.states.empty() &&
        std::find(query.states.begin(), query.states.end(), t->state) == query.states.end()) {
      continue;
    }
    bool ok = true;
    for (const Term& term : *terms) {
      if (!Matches(*t, term)) {
        ok = false;
        break;
      }
    }
    if (ok) rows.emplace_back(ValueOf(*t, *sort_field), t);
  }
  page.matched = static_cast<int64_t>(rows.size());
  const bool desc = query.descending;
  std::stable_sort(rows.begin(), rows.end(), [desc](const auto& a, const auto& b) {
    const bool a_missing = std::holds_alternative<std::monostate>(a.first);
    const bool b_missing = std::holds_alternative<std::monostate>(b.first);
    if (a_missing != b_missing) return b_missing;
    int c = CompareValues(a.first, b.first);
    if (c == 0) return a.second->id < b.second->id;
    return desc ? c > 0 : c < 0;
  });
  for (int64_t i = query.offset; i < page.matched && i < query.offset + query.limit; ++i) {
    page.trials.push_back(rows[static_cast<size_t>(i)].second);
  }
  return page;
}

}  // namespace tuner
